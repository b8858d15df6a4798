"""Backups: the database and the uploaded documents in one compressed archive, with checksums.

`write_backup` dumps the database first (pg_dump's snapshot on PostgreSQL, SQLite's online
backup API: consistent while the app keeps writing), then copies the uploaded files: a document
is stored before the row naming it commits, so every file the dump names is in the archive.
The archive (`.tar.gz`) holds a manifest with the SHA-256 of every member; beside it a
`.sha256` file in `sha256sum` format checks the archive itself wherever it is copied to.
`restore_backup` checks both before it writes anything, and restores only into an empty
database and over no different file."""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
MEDIA = "media"
# Folders of MEDIA_ROOT not kept: reports' exports are rewritten on demand and expire in days.
SKIPPED = ("exports",)


class BackupError(Exception):
    """A backup that cannot be written, or an archive that must not be restored, and why."""


@dataclass(frozen=True)
class Restored:
    created_at: str
    vendor: str
    files: int


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(
        path for path in root.rglob("*") if path.is_file() and path.relative_to(root).parts[0] not in SKIPPED
    )


def write_backup(folder: Path, *, connection=None) -> Path:
    """Write `coopfund-<date>-<time>.tar.gz` and its `.sha256` into `folder`; return the archive."""
    connection = connection or connections["default"]
    if connection.vendor not in DATABASE:
        raise BackupError(f"Backups know PostgreSQL and SQLite, not {connection.vendor}.")
    folder.mkdir(parents=True, exist_ok=True)
    now = timezone.localtime()
    archive = folder / f"coopfund-{now:%Y%m%d-%H%M%S}.tar.gz"
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DATABASE[connection.vendor]
        _dump(connection, dump)
        root = Path(settings.MEDIA_ROOT)
        files = {f"{MEDIA}/{path.relative_to(root).as_posix()}": path for path in _media_files()}
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "vendor": connection.vendor,
            "checksums": {dump.name: sha256(dump), **{name: sha256(path) for name, path in files.items()}},
        }
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=1))
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(work) / MANIFEST, MANIFEST)
            tar.add(dump, dump.name)
            for name, path in files.items():
                tar.add(path, name)
        partial.rename(archive)
    Path(f"{archive}.sha256").write_text(f"{sha256(archive)}  {archive.name}\n")
    return archive


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives (with their checksums); return those deleted."""
    archives = sorted(folder.glob("coopfund-*.tar.gz"))
    old = archives[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
        Path(f"{path}.sha256").unlink(missing_ok=True)
    return old


def restore_backup(archive: Path, *, connection=None) -> Restored:
    connection = connection or connections["default"]
    _check_archive(archive)
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")
        manifest = json.loads((Path(work) / MANIFEST).read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive.name} is in a format this version does not know.")
        for name, digest in manifest["checksums"].items():
            if not (Path(work) / name).is_file() or sha256(Path(work) / name) != digest:
                raise BackupError(f"{name} in {archive.name} does not match its checksum.")
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                f"{archive.name} is a {manifest['vendor']} backup; the database is {connection.vendor}."
            )
        if connection.introspection.table_names():
            raise BackupError("The database is not empty: restore into a new, empty database.")
        media = {name: Path(work) / name for name in manifest["checksums"] if name.startswith(f"{MEDIA}/")}
        targets = {name: Path(settings.MEDIA_ROOT) / name.removeprefix(f"{MEDIA}/") for name in media}
        clashes = [str(t) for name, t in targets.items() if t.exists() and sha256(t) != sha256(media[name])]
        if clashes:
            raise BackupError(
                f"Files already in MEDIA_ROOT differ from the backup's: {', '.join(clashes[:5])}"
            )
        _load(connection, Path(work) / DATABASE[connection.vendor])
        for name, source in media.items():
            targets[name].parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, targets[name])
    return Restored(created_at=manifest["created_at"], vendor=manifest["vendor"], files=len(media))


def _check_archive(archive: Path) -> None:
    sidecar = Path(f"{archive}.sha256")
    if not sidecar.is_file():
        raise BackupError(f"{sidecar.name} is missing: the archive cannot be checked.")
    expected = sidecar.read_text().split()[0]
    if sha256(archive) != expected:
        raise BackupError(f"{archive.name} does not match {sidecar.name}: it is damaged or was changed.")


# --- the database ----------------------------------------------------------------------


def _dump(connection, target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return
    # One compression, the archive's; no owner or grants: the restoring role owns what it makes.
    _run(
        connection,
        "pg_dump",
        "--format=custom",
        "--compress=0",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
    )


def _load(connection, dump: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(dump) as source:
            source.backup(connection.connection)
        source.close()
        return
    _run(
        connection,
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        str(dump),
    )


def _run(connection, tool: str, *arguments: str) -> None:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    where = [f"--host={db['HOST']}"] if db.get("HOST") else []
    where += [f"--port={db['PORT']}"] if db.get("PORT") else []
    where += [f"--username={db['USER']}"] if db.get("USER") else []
    where.append(f"--dbname={db['NAME']}")
    done = subprocess.run(
        [_pg_tool(tool, connection), *where, *arguments], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-2000:]}")


def _pg_tool(tool: str, connection) -> str:
    """The PostgreSQL client `tool` at least as new as the server (pg_dump refuses to dump a
    newer server): BACKUP_PG_BIN, the server's own version's folder, then PATH."""
    connection.ensure_connection()
    server = connection.pg_version // 10000
    folders = [settings.BACKUP_PG_BIN, f"/usr/lib/postgresql/{server}/bin"]
    candidates = [str(Path(folder) / tool) for folder in folders if folder] + [shutil.which(tool) or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
            found = re.search(r"(\d+)", version)
            if found and int(found.group(1)) >= server:
                return candidate
    raise BackupError(f"No {tool} of PostgreSQL {server} or newer: install it or set COOPFUND_BACKUP_PG_BIN.")
