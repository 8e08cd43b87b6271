#!/bin/bash
# Sourced by the database entrypoints, which do what the official images do:
# `file_env VAR...`: VAR from the file VAR_FILE names (Docker secrets), when VAR is not set itself;
# `run_init_scripts NAME CLIENT...` runs /docker-entrypoint-initdb.d/* in order: *.sh executed when
# executable, else sourced (in the entrypoint's shell); *.sql and *.sql.gz fed to CLIENT; anything
# else ignored.
file_env() {
  local var file
  for var in "$@"; do
    file="${var}_FILE"
    if [ -n "${!file:-}" ] && [ -z "${!var:-}" ]; then
      export "$var=$(<"${!file}")"
    fi
    unset "$file"
  done
}

run_init_scripts() {
  local who=$1 f
  shift
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh | *.sql | *.sql.gz) echo "$who: running $f" >&2 ;;
      *) [ ! -e "$f" ] || echo "$who: ignoring $f" >&2 ;;
    esac
    case "$f" in
      *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) "$@" <"$f" ;;
      *.sql.gz) gunzip -c "$f" | "$@" ;;
    esac
  done
}
