# Sourced by the entrypoint against its init server: the shop's fixtures, pgbench's tables at
# PGBENCH_SCALE (about 15 MiB each, indexes included), and the auth service's database.
set -e
pgbench -i -q -s "${PGBENCH_SCALE:-2}" --no-vacuum -U "$POSTGRES_USER" "$POSTGRES_DB" 2>&1 | tail -n 1
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -qc "CREATE DATABASE auth"
