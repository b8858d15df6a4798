#!/usr/bin/env bash
# The whole test suite: lint, the import contracts (pyproject.toml), migrations, the Vietnamese
# catalogue, pytest on SQLite, then pytest on a throwaway PostgreSQL 15 cluster
# (scripts/with-postgres.sh). Exits non-zero on the first failure. Extra arguments go to both pytest runs; PYTEST_WORKERS sets the processes
# pytest uses (default 2, the machines' cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORKERS=${PYTEST_WORKERS:-2}
unset DATABASE_URL CELERY_BROKER_URL

step() { printf '\n== %s\n' "$*"; }

step "ruff check"
"$PY" -m ruff check .

step "import contracts (lint-imports)"
"$PY" -c 'import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())'

step "makemigrations --check"
"$PY" manage.py makemigrations --check --dry-run

step "translations"
if ! command -v xgettext >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing gettext (xgettext reads the strings of the code)"
    apt-get update -qq && apt-get install -y -qq gettext >/dev/null
  else
    echo "gettext's xgettext is needed to check the catalogue: install the gettext package" >&2
    exit 1
  fi
fi
"$PY" scripts/check_messages.py

step "pytest on SQLite"
"$PY" -m pytest -n "$WORKERS" "$@"

step "pytest on PostgreSQL 15 (throwaway cluster)"
scripts/with-postgres.sh "$PY" -m pytest -n "$WORKERS" "$@"
