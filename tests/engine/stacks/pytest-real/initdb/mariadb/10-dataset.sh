# Sourced by the entrypoint against its init server: MARIADB_ROWS rows of about 200 bytes
# (the Sequence engine makes them without a client-side loop).
set -e
mariadb --protocol=socket --socket=/run/mysqld/mysqld.sock -uroot -p"$MARIADB_ROOT_PASSWORD" "$MARIADB_DATABASE" <<SQL
CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, body VARCHAR(200) NOT NULL, stock INT NOT NULL);
INSERT INTO items SELECT seq, CONCAT('item-', seq), REPEAT(CHAR(97 + seq % 26), 180), seq % 100
  FROM seq_1_to_${MARIADB_ROWS:-50000};
SQL
