#!/usr/bin/env bash
# The whole test suite: lint, migrations, pytest on SQLite, then pytest on a throwaway
# PostgreSQL 15 cluster (scripts/with-postgres.sh). Exits non-zero on the first failure.
# Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
unset DATABASE_URL CELERY_BROKER_URL

step() { printf '\n== %s\n' "$*"; }

step "ruff check"
"$PY" -m ruff check .

step "makemigrations --check"
"$PY" manage.py makemigrations --check --dry-run

step "pytest on SQLite"
"$PY" -m pytest "$@"

step "pytest on PostgreSQL 15 (throwaway cluster)"
scripts/with-postgres.sh "$PY" -m pytest "$@"
