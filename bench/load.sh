#!/bin/sh
# Load and fault test: gunicorn (2 workers, 10,000 synthetic resources, the shipped config) under
# wrk on 127.0.0.1 through a valid new file, a YAML error, a validation error, an alias bomb, a
# truncated file, a deleted file, a read-only index folder, a slow non-atomic copy, Redis stopping
# and starting, and kill -9 of a worker. Stops by itself; prints a summary; exit 1 if a check
# failed (any 5xx, any answer from partial data, the master dead, a query string in the log).
#
#   bench/load.sh                  # 60 s of load (plus setup and the reloads)
#   bench/load.sh --duration 120   # longer
#   bench/load.sh --help           # every option
#
# The server runs with DIRECTORY_RATE_LIMIT_SEARCH and DIRECTORY_RATE_LIMIT_API set to
# "1000000 per minute": from one address, this much traffic is what the limits exist to stop.
# To try a gunicorn setting before changing gunicorn.conf.py: --config other.conf.py.
#
# Needs wrk and redis-server (apt-get install -y wrk redis-server; without redis-server its step
# is skipped), chattr for the read-only folder as root (e2fsprogs), and the project's virtualenv
# (make install). Details and the meaning of each figure: the docstring of bench/load.py.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is not installed: apt-get install -y wrk" >&2
    exit 2
fi
exec "$PYTHON" bench/load.py "$@"
