"""`manage.py restore ARCHIVE`: a backup brought back into an empty database, after its
checksums are verified (common.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from common.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup (and its documents into MEDIA_ROOT) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args, archive, database, **options):
        try:
            restored = restore_backup(archive, connection=connections[database])
        except BackupError as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(
            f"restored {restored.vendor} backup of {restored.created_at}, {restored.files} documents"
        )
