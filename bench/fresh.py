"""A database of its own for each benchmark run, and a process to run it in.

Django reads its database from the environment once, at set-up, so each run is a child process
(`python bench/X.py --run …`) given a `DATABASE_URL` naming a new database in the parent's
PostgreSQL cluster (dropped afterwards unless kept), or a new SQLite file. The child prints its
figures on one line starting with RESULT, as JSON, for the parent's summary.
"""

import gc
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULT = "RESULT "


_SQLITE_FILES: dict[str, Path] = {}  # each kept SQLite database's file, by name


def run_in_database(
    script: str,
    args: list[str],
    name: str,
    *,
    keep: bool = False,
    reuse: bool = False,
    copy_of: str | None = None,
) -> dict:
    """Run `script --run ARGS` on database `name`, fresh (`reuse`: as left by a kept run, if it
    exists; `copy_of`: a copy of that kept database), dropped afterwards unless `keep`; the
    figures its RESULT line hands back."""
    env = dict(os.environ)
    url = os.environ.get("DATABASE_URL")
    if url:
        env["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}").geturl()
        if not (reuse and _exists(url, name)):
            template = f' TEMPLATE "{copy_of}"' if copy_of else ""
            _admin(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"{template}')
    else:
        path = Path(tempfile.mkdtemp(prefix="coopfund-bench-")) / f"{name}.sqlite3"
        if copy_of:  # through SQLite's backup: the file alone may miss what its WAL still holds
            with (
                closing(sqlite3.connect(_SQLITE_FILES[copy_of])) as source,
                closing(sqlite3.connect(path)) as copy,
            ):
                source.backup(copy)
        _SQLITE_FILES[name] = path
        env["SQLITE_PATH"] = str(path)
    try:
        return _child(script, args, env)
    finally:
        if not keep:
            drop(name)


def drop(name: str) -> None:
    """Drop a database a run made (and kept)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        shutil.rmtree(_SQLITE_FILES.pop(name).parent, ignore_errors=True)


def hand_back(figures: dict) -> None:
    """The child's figures, to the parent."""
    print(RESULT + json.dumps(figures), flush=True)


def _exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        return (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        )


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def _child(script: str, args: list[str], env: dict) -> dict:
    command = [sys.executable, script, "--run", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    result = None
    for line in process.stdout:
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT) :])
        else:
            print(line, end="", flush=True)
    if process.wait() or result is None:
        raise SystemExit(f"{Path(script).name} {' '.join(args)} failed ({process.returncode})")
    return result


def set_up_django() -> None:
    """Django in the child, measuring what production runs: no query log, no debug."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    import django

    django.setup()


def settle_after_build(*, flush: bool = False) -> None:
    """After a bulk build, before timing: the planner's statistics, as a fund's import would
    leave them (ANALYZE), and what building left alive in this process frozen. A worker doing
    the timed work holds none of it; unfrozen, the garbage collector scans it again on every
    collection, which made the times grow faster than the portfolio. `flush`: the writes before
    also flushed to disk and vacuumed (CHECKPOINT, VACUUM), as the checkpointer and autovacuum
    would have left them by the next day's close; timed right after a month end, a close shared
    the disk with the month end's writes, the more so the larger the portfolio."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if flush:
                cursor.execute("CHECKPOINT")
            cursor.execute("VACUUM ANALYZE" if flush else "ANALYZE")
    tracked = len(gc.get_objects())
    gc.collect()
    gc.freeze()
    print(f"objects left alive for the garbage collector: {tracked:,}, frozen", flush=True)
