"""`manage.py backup [--to DIR] [--keep N]`: the database and the uploaded documents in one
compressed archive with its checksum (common.backups); the README's nightly schedule runs it."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from common.backups import BackupError, prune, write_backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded documents into one .tar.gz with a .sha256 beside it."

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, default=None, help="folder (default COOPFUND_BACKUP_DIR)")
        parser.add_argument("--keep", type=int, default=0, help="keep only the newest N archives there")
        parser.add_argument("--database", default="default")

    def handle(self, *args, to, keep, database, **options):
        folder = to or settings.BACKUP_DIR
        try:
            archive = write_backup(folder, connection=connections[database])
        except BackupError as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(f"{archive} ({archive.stat().st_size:,} bytes)")
        for old in prune(folder, keep):
            self.stdout.write(f"removed {old.name}")
