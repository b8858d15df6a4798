"""The pure loan core runs without a database: importing it loads no part of Django's ORM.

import-linter (the test command's `lint-imports`) keeps it from importing the apps; it cannot
tell django.db from the rest of Django, so this checks that in a fresh interpreter.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

import loans.domain

ROOT = Path(__file__).resolve().parents[2]


def test_the_loan_core_loads_no_database_code():
    modules = [f"loans.domain.{info.name}" for info in pkgutil.iter_modules(loans.domain.__path__)]
    assert {"loans.domain.engine", "loans.domain.schedule", "loans.domain.daycount"} <= set(modules)
    script = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in modules)
        + "print(sorted(m for m in sys.modules if m == 'django.db' or m.startswith('django.db.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, env={}
    )
    assert loaded.stdout.strip() == "[]"
