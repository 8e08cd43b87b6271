#!/bin/bash
# A stand-in for the official MariaDB image's healthcheck.sh: --connect (and any other option) is
# "the server answers on TCP", which is what mariadb-admin ping says (it exits 0 even when access
# is denied). Other servers' images check with pg_isready or redis-cli.
exec mariadb-admin ping -h 127.0.0.1 --silent
