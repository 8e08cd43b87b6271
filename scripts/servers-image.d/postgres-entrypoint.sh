#!/bin/bash
# PostgreSQL as the official image starts it: `postgres` (or flags for it: `-c shared_buffers=64MB`)
# initialises $PGDATA when it is empty (POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB,
# POSTGRES_INITDB_ARGS, each also as a *_FILE; POSTGRES_HOST_AUTH_METHOD), runs
# /docker-entrypoint-initdb.d/*.sh, *.sql and *.sql.gz against a server that listens on no TCP
# port, then runs postgres in the foreground as user postgres. Any other command runs as given.
set -Eeo pipefail
export PATH=/usr/lib/postgresql/15/bin:$PATH
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
. /usr/local/bin/init-scripts.sh

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  file_env POSTGRES_PASSWORD POSTGRES_USER POSTGRES_DB POSTGRES_INITDB_ARGS
  export POSTGRES_USER=${POSTGRES_USER:-postgres}
  export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
  auth=${POSTGRES_HOST_AUTH_METHOD:-}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo "postgres-entrypoint: the database is uninitialized and POSTGRES_PASSWORD is not set:" \
      "set it, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one" >&2
    exit 1
  fi
  [ -n "$auth" ] || auth=scram-sha-256
  echo "postgres-entrypoint: initdb into $PGDATA" >&2
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is words, as in the official image
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS >/dev/null
  else
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" $POSTGRES_INITDB_ARGS >/dev/null
  fi
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # a server for the init scripts, with the same flags, on the socket only
  PGUSER=$POSTGRES_USER PGPASSWORD=${POSTGRES_PASSWORD:-} pg_ctl -D "$PGDATA" -w \
    -o "$(printf '%q ' "${@:2}" -c listen_addresses='' -p "${PGPORT:-5432}")" start >/dev/null
  export PGPASSWORD=${POSTGRES_PASSWORD:-}
  psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc --username "$POSTGRES_USER")
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" -q <<<"CREATE DATABASE :\"db\";"
  fi
  psql+=(--dbname "$POSTGRES_DB")
  run_init_scripts postgres-entrypoint "${psql[@]}" -q
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGPASSWORD
  echo "postgres-entrypoint: initialised; starting postgres" >&2
fi

exec "$@"
