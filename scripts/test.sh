#!/usr/bin/env bash
# The whole test suite: lint, migrations, pytest on SQLite, then pytest on a throwaway
# PostgreSQL 15 cluster that this script creates, starts on a free port and removes.
# Exits non-zero on the first failure. Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
unset DATABASE_URL CELERY_BROKER_URL

step() { printf '\n== %s\n' "$*"; }

step "ruff check"
"$PY" -m ruff check .

step "makemigrations --check"
"$PY" manage.py makemigrations --check --dry-run

step "pytest on SQLite"
"$PY" -m pytest "$@"

step "pytest on PostgreSQL 15 (throwaway cluster)"
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL 15 server binaries not found in $PG_BIN" >&2
  exit 1
fi
pg_dir=$(mktemp -d /tmp/coopfund-pg.XXXXXX)
# initdb refuses to run as root: the cluster belongs to the postgres user then.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-locale >"$pg_dir/initdb.log"
# A test cluster: durability is not worth the time here (the benchmarks use durable commits).
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w start -o \
  "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
DATABASE_URL="postgres://postgres@127.0.0.1:$port/coopfund" "$PY" -m pytest "$@"
