#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 cluster: create it, start it on a free
# port, export DATABASE_URL, run the command, stop and remove the cluster.
#
#   scripts/with-postgres.sh .venv/bin/python -m pytest tests/ledger
#   scripts/with-postgres.sh --durable .venv/bin/python bench/ledger_post.py
#
# Tests run with fsync off (durability is not what they test); --durable keeps
# PostgreSQL's durable commits, which is what benchmark figures must be measured on, with the
# shared buffers a database server is given (the default 128 MB is for a laptop: a province's
# portfolio outgrows it, and reads then come through the kernel's cache instead).
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
settings=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
if [ "${1:-}" = "--durable" ]; then
  settings=(-c shared_buffers=1GB)
  shift
fi
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
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-locale >"$pg_dir/initdb.log"
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w start -o \
  "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 ${settings[*]}" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/coopfund"
"${as_pg[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres coopfund
"$@"
