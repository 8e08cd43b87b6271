#!/bin/sh
# The shop's suite, as CI runs it in the backend container: `sh /app/run-suite.sh TESTS`.
set -e
rm -rf /tmp/suite
python3 /app/make_suite.py /tmp/suite "${1:-2000}"
cd /tmp/suite
exec python3 -m pytest -q -p no:cacheprovider -o console_output_style=classic -W error .
