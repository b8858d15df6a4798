#!/usr/bin/env bash
# The whole test suite: lint, the import contracts (pyproject.toml), migrations, the Vietnamese
# catalogue, pytest on SQLite, then pytest on a throwaway PostgreSQL 15 cluster
# (scripts/with-postgres.sh), where the tests using `celery_workers` also start a throwaway
# redis-server and two Celery worker processes (scripts/celery_cluster.py). The browser tests
# (tests/browser: Debian's Chromium against the live server) run in the PostgreSQL pass. Each
# pass's pytest processes copy one database migrated once (tests/conftest.py); both are migrated
# in the background while the checks run, on the core these leave idle, so the whole run takes
# place inside the cluster's life. Exits non-zero on the first failure. Extra arguments go to both
# pytest runs; of the paths among them, only those under tests/browser go to the browser run.
# PYTEST_WORKERS sets the processes pytest uses (default 2, the machines' cores).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${COOPFUND_TEST_CLUSTER:-}" ]; then
  COOPFUND_TEST_CLUSTER=1 exec scripts/with-postgres.sh bash "$0" "$@"
fi
PY=${PY:-.venv/bin/python}
# Compiled modules and pytest's rewritten test modules are written and reused: without them every
# pytest process (two a pass, and the browser run's) compiles the whole project and suite again.
unset PYTHONDONTWRITEBYTECODE
WORKERS=${PYTEST_WORKERS:-2}
POSTGRES_URL=$DATABASE_URL
unset DATABASE_URL CELERY_BROKER_URL

step() { printf '\n== %s\n' "$*"; }

step "migrate one SQLite and one PostgreSQL database (in the background, while the checks run)"
scratch=$(mktemp -d)
export COOPFUND_MIGRATED_SQLITE=$scratch/migrated.sqlite3 COOPFUND_MIGRATED_DB=coopfund_migrated
SQLITE_PATH=$COOPFUND_MIGRATED_SQLITE "$PY" manage.py migrate --noinput --run-syncdb \
  >"$scratch/sqlite.log" 2>&1 &
sqlite_migrating=$!
(
  DATABASE_URL=$POSTGRES_URL "$PY" -c 'import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
    db.execute("CREATE DATABASE " + os.environ["COOPFUND_MIGRATED_DB"])'
  DATABASE_URL=${POSTGRES_URL%/*}/$COOPFUND_MIGRATED_DB "$PY" manage.py migrate --noinput --run-syncdb
) >"$scratch/postgresql.log" 2>&1 &
postgresql_migrating=$!
# (Both have ended by the time the tests do: kill fails then, which is no failure of the run.)
trap 'kill "$sqlite_migrating" "$postgresql_migrating" 2>/dev/null || true; rm -rf "$scratch"' EXIT
# Waits for the migration started as process $1, whose output is in $2.
migrated() { wait "$1" || { cat "$2" >&2; exit 1; }; }

step "ruff check"
"$PY" -m ruff check .

step "import contracts (lint-imports)"
"$PY" -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())'

step "OpenAPI schema (drf-spectacular --validate --fail-on-warn)"
"$PY" manage.py spectacular --validate --fail-on-warn --file "$scratch/schema.yml"

step "makemigrations --check"
"$PY" manage.py makemigrations --check --dry-run

# Installs a Debian package when its command is missing and we run as root; else says what to install.
need() {
  command -v "$1" >/dev/null && return
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing $2 ($3)"
    apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
  else
    echo "$1 is needed ($3): install the $2 package" >&2
    exit 1
  fi
}

step "translations"
need xgettext gettext "xgettext reads the strings of the code to check the catalogue"
"$PY" scripts/check_messages.py
need redis-server redis-server "the PostgreSQL pass starts its own Redis for real Celery workers"
need soffice libreoffice-calc-nogui "tests/printing converts workbooks to PDF as an accountant prints them"
need chromium chromium "tests/browser drives Chromium through Playwright (Playwright's own download is not used)"

# The browser tests run on PostgreSQL only: they test the pages as a person uses them, the same
# pages on either database, whose differences the rest of the suite tests in both passes. They run
# in one process of their own (one Chromium), after the rest: run among the other transactional
# tests of an xdist worker on SQLite, they were seen to start without the migrated chart of
# accounts (not yet understood).
#
# Paths given (a run of some tests): only those of them under tests/browser run in the browser
# pass, so that other transactional tests do not run in the browser tests' process (see above);
# `tests` names them all. Paths all under tests/browser leave the other two passes nothing to run.
browser=(tests/browser) options=() paths=() others=0
for arg in "$@"; do
  if [ ! -e "${arg%%::*}" ]; then
    options+=("$arg")
    continue
  fi
  case ${arg#./} in
    tests | tests/) paths+=(tests/browser) others=1 ;;
    tests/browser*) paths+=("$arg") ;;
    *) others=1 ;;
  esac
done
if [ "$#" -gt "${#options[@]}" ]; then
  browser=("${paths[@]}")
else
  others=1
fi

if [ "$others" -eq 1 ]; then
  step "pytest on SQLite"
  migrated "$sqlite_migrating" "$scratch/sqlite.log"
  "$PY" -m pytest -n "$WORKERS" --dist loadgroup --ignore=tests/browser "$@"
fi

migrated "$postgresql_migrating" "$scratch/postgresql.log"
export DATABASE_URL=$POSTGRES_URL
if [ "$others" -eq 1 ]; then
  step "pytest on PostgreSQL 15 (throwaway cluster)"
  # The tests that use no database ran in the SQLite pass: this one leaves them out (tests/conftest.py).
  COOPFUND_AFTER_SQLITE=1 "$PY" -m pytest -n "$WORKERS" --dist loadgroup --ignore=tests/browser "$@"
fi

if [ "${#browser[@]}" -gt 0 ]; then
  step "browser tests on PostgreSQL 15"
  "$PY" -m pytest "${options[@]}" "${browser[@]}"
fi
