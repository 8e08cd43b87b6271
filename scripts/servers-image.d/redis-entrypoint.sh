#!/bin/bash
# Redis as the official image starts it: `redis-server` (or flags for it: `--maxmemory 32mb`, or a
# config file first) as user redis, in /data, with protected mode off so that other containers can
# connect without a password (the official image builds Redis with that default). A
# `--protected-mode` of the command's own wins. Any other command runs as given.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" != redis-server ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p /data
  chown redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$BASH_SOURCE" "$@"
fi

shift
config=()
if [ $# -gt 0 ] && [ "${1:0:1}" != '-' ]; then
  config=("$1") # a config file comes first
  shift
fi
exec redis-server "${config[@]}" --protected-mode no "$@"
