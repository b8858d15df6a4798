#!/usr/bin/env bash
# The PostgreSQL pass of scripts/test.sh, run inside scripts/with-postgres.sh's throwaway cluster:
# migrate one database once; each pytest process's test database is a copy of it
# (COOPFUND_MIGRATED_DB, tests/conftest.py) instead of migrating its own. Then the suite, then
# the browser tests in a process of their own (one Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORKERS=${PYTEST_WORKERS:-2}
export COOPFUND_MIGRATED_DB=coopfund_migrated
printf '\n== %s\n' "migrate $COOPFUND_MIGRATED_DB"
"$PY" -c 'import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
    db.execute("CREATE DATABASE " + os.environ["COOPFUND_MIGRATED_DB"])'
DATABASE_URL=${DATABASE_URL%/*}/$COOPFUND_MIGRATED_DB "$PY" manage.py migrate --noinput --run-syncdb >/dev/null

printf '\n== %s\n' "pytest on PostgreSQL 15"
"$PY" -m pytest -n "$WORKERS" --ignore=tests/browser "$@"
printf '\n== %s\n' "browser tests on PostgreSQL 15"
"$PY" -m pytest tests/browser "$@"
