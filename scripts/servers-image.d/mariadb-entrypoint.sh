#!/bin/bash
# MariaDB as the official image starts it: `mariadbd` (or flags for it:
# `--innodb-buffer-pool-size=64M`) installs the system tables into an empty data dir
# (MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD, MARIADB_RANDOM_ROOT_PASSWORD,
# MARIADB_ROOT_HOST, MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD, or their MYSQL_* names; the
# passwords, user and database also as *_FILE), runs /docker-entrypoint-initdb.d/*.sh, *.sql and
# *.sql.gz against a server without networking, then runs mariadbd in the foreground as user
# mysql. Any other command runs as given.
set -Eeo pipefail
. /usr/local/bin/init-scripts.sh

if [ "${1:0:1}" = '-' ]; then
  set -- mariadbd "$@"
fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then
  exec "$@"
fi

datadir=/var/lib/mysql
for arg in "${@:2}"; do
  case "$arg" in --datadir=*) datadir=${arg#--datadir=} ;; esac
done
socket=/run/mysqld/mysqld.sock

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$datadir" /run/mysqld
  chown mysql:mysql "$datadir" /run/mysqld
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
fi

env_of() { # MARIADB_<name>, else MYSQL_<name>, else $2
  local maria="MARIADB_$1" mysql="MYSQL_$1"
  printf '%s' "${!maria:-${!mysql:-$2}}"
}

if [ ! -d "$datadir/mysql" ]; then
  file_env MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD MARIADB_PASSWORD MYSQL_PASSWORD MARIADB_USER MYSQL_USER \
    MARIADB_DATABASE MYSQL_DATABASE
  root_password=$(env_of ROOT_PASSWORD "")
  allow_empty=$(env_of ALLOW_EMPTY_ROOT_PASSWORD "")
  [ -n "$allow_empty" ] || allow_empty=${MYSQL_ALLOW_EMPTY_PASSWORD:-}
  random=$(env_of RANDOM_ROOT_PASSWORD "")
  if [ -z "$root_password" ] && [ -z "$allow_empty" ] && [ -z "$random" ]; then
    echo "mariadb-entrypoint: the database is uninitialized and no root password option is set:" \
      "set MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD or MARIADB_RANDOM_ROOT_PASSWORD" >&2
    exit 1
  fi
  if [ -n "$random" ] && [ -z "$root_password" ]; then
    root_password=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
    echo "mariadb-entrypoint: GENERATED ROOT PASSWORD: $root_password" >&2
  fi
  root_host=$(env_of ROOT_HOST "%")
  database=$(env_of DATABASE "")
  user=$(env_of USER "")
  password=$(env_of PASSWORD "")

  echo "mariadb-entrypoint: installing the system tables into $datadir" >&2
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal --skip-test-db \
    --skip-log-bin --expire-logs-days=0 --default-time-zone=SYSTEM --rpm "${@:2}" >/dev/null

  "$@" --skip-networking --socket="$socket" --default-time-zone=SYSTEM --skip-log-bin \
    --loose-innodb-buffer-pool-load-at-startup=0 &
  pid=$!
  for _ in $(seq 300); do
    mariadb-admin --socket="$socket" --user=root ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "mariadb-entrypoint: the init server exited" >&2; exit 1; }
    sleep 0.1
  done
  sql() { mariadb --protocol=socket --socket="$socket" --user=root --database=mysql "$@"; }
  quote() { printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g"; }
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.user WHERE user = '';"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(quote "$root_password")';"
    if [ "$root_host" != localhost ]; then
      echo "CREATE USER 'root'@'$(quote "$root_host")' IDENTIFIED BY '$(quote "$root_password")';"
      echo "GRANT ALL ON *.* TO 'root'@'$(quote "$root_host")' WITH GRANT OPTION;"
    fi
    [ -z "$database" ] || echo "CREATE DATABASE IF NOT EXISTS \`$database\`;"
    if [ -n "$user" ] && [ -n "$password" ]; then
      echo "CREATE USER '$(quote "$user")'@'%' IDENTIFIED BY '$(quote "$password")';"
      [ -z "$database" ] || echo "GRANT ALL ON \`$database\`.* TO '$(quote "$user")'@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | sql
  client=(mariadb --protocol=socket --socket="$socket" --user=root --password="$root_password")
  [ -z "$database" ] || client+=(--database="$database")
  run_init_scripts mariadb-entrypoint "${client[@]}"
  kill -TERM "$pid"
  wait "$pid" || true
  echo "mariadb-entrypoint: initialised; starting mariadbd" >&2
fi

exec "$@"
