"""`manage.py backup` and `restore`: a backup restored into a fresh database gives the same
books, the same loans' stored balances and the same documents, and a damaged archive or a
database in use is refused before anything is written."""

import datetime as dt
import io
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import load_backend

from common.backups import BackupError, restore_backup, sha256
from fund import services
from fund.models import DocumentType
from tests.fund.factories import BorrowerFactory

TRIAL_BALANCE = """
    SELECT a.code, SUM(l.debit), SUM(l.credit) FROM ledger_journalline l
      JOIN ledger_account a ON a.id = l.account_id GROUP BY a.code ORDER BY a.code"""
DOCUMENTS = " UNION ALL ".join(
    f"SELECT file FROM {table}"
    for table in ("fund_borrowerdocument", "loans_loandocument", "loans_loanactiondocument")
)


def rows(database, sql: str) -> list[tuple]:
    with database.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def state(database, media: Path) -> dict:
    """What must come back: the books, the loans' stored balances, the documents' checksums."""
    documents = sorted((name, sha256(media / name)) for (name,) in rows(database, DOCUMENTS))
    return {
        "trial balance": rows(database, TRIAL_BALANCE),
        "balances": rows(database, "SELECT * FROM loans_loanbalance ORDER BY id"),
        "documents": documents,
        "audit rows": rows(database, "SELECT count(*) FROM auditlog_logentry"),
    }


@pytest.fixture
def fresh_database(tmp_path):
    """A connection to a new, empty database (made here, not a test database of the settings)."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        name = f"{settings_dict['NAME']}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        settings_dict["NAME"] = name
    else:
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    fresh = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="restored")
    yield fresh
    fresh.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{settings_dict["NAME"]}"')


def back_up_and_restore(tmp_path, settings, fresh) -> tuple[Path, Path]:
    original_media = Path(settings.MEDIA_ROOT)
    call_command("backup", to=tmp_path / "backups", keep=3, stdout=io.StringIO())
    (archive,) = (tmp_path / "backups").glob("*.tar.gz")
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    restore_backup(archive, connection=fresh)
    return original_media, Path(settings.MEDIA_ROOT)


def file_a_document(officer) -> None:
    kind = DocumentType.objects.create(code="GCN", name_vi="Giấy chứng nhận", name_en="Certificate")
    upload = SimpleUploadedFile("giay.pdf", b"%PDF-1.4 " + bytes(range(256)), content_type="application/pdf")
    services.add_borrower_document(
        actor=officer,
        borrower=BorrowerFactory(),
        document_type=kind,
        file=upload,
        issued_on=dt.date(2025, 1, 2),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_into_a_fresh_database_with_its_documents(
    officer, tmp_path, settings, fresh_database
):
    file_a_document(officer)
    before = state(connection, Path(settings.MEDIA_ROOT))
    assert before["documents"]
    original, restored = back_up_and_restore(tmp_path, settings, fresh_database)
    assert state(fresh_database, restored) == before
    assert original != restored


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_demo_fund_restored_on_postgresql_has_the_same_books_balances_and_documents(
    tmp_path, settings, fresh_database
):
    call_command("demo", force=True, stdout=io.StringIO())
    before = state(connection, Path(settings.MEDIA_ROOT))
    assert before["trial balance"] and before["balances"] and before["documents"]
    _original, restored = back_up_and_restore(tmp_path, settings, fresh_database)
    assert state(fresh_database, restored) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_damaged_archive_or_a_database_in_use_is_refused(officer, tmp_path, settings, fresh_database):
    file_a_document(officer)
    call_command("backup", to=tmp_path, stdout=io.StringIO())
    (archive,) = tmp_path.glob("*.tar.gz")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), stdout=io.StringIO())  # the default one holds the fund
    # A member changed and the archive's checksum written again: the manifest still catches it.
    tampered = tmp_path / "tampered" / archive.name
    tampered.parent.mkdir()
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data = data[:-1] + b"X"
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    Path(f"{tampered}.sha256").write_text(f"{sha256(tampered)}  {tampered.name}\n")
    with pytest.raises(BackupError, match="does not match its checksum"):
        restore_backup(tampered, connection=fresh_database)
    Path(f"{archive}.sha256").write_text(f"{'0' * 64}  {archive.name}\n")
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(archive, connection=fresh_database)
    assert fresh_database.introspection.table_names() == []  # nothing written


def test_only_the_newest_archives_are_kept(tmp_path):
    from common.backups import prune

    for stamp in ("20260101-010000", "20260102-010000", "20260103-010000"):
        (tmp_path / f"coopfund-{stamp}.tar.gz").write_bytes(b"x")
        (tmp_path / f"coopfund-{stamp}.tar.gz.sha256").write_text("x")
    removed = prune(tmp_path, keep=2)
    assert [path.name for path in removed] == ["coopfund-20260101-010000.tar.gz"]
    assert len(list(tmp_path.glob("*.sha256"))) == 2
