"""Load the demo fund: users for every role, and what each app adds to the demo.

Safe to run again: it brings the demo data back to its known state without duplicating it.
Refused when DEBUG is off, so it cannot seed a production database by mistake.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Load a small demo fund with a user for each role (known demo passwords)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Load even with DEBUG off (never on a real fund's database)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("The demo fund is for local use; DEBUG is off. Use --force if you mean it.")
        for dotted in settings.DEMO_LOADERS:
            import_string(dotted)(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo fund loaded."))
