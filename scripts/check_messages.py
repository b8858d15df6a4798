"""Fail when the Vietnamese catalogue misses a string of the code, or is not translated.

Runs `makemessages` over the project (it needs gettext's xgettext), compares what it finds with
the committed catalogue, and puts the committed catalogue back whatever happens. Fix a failure
with `make messages`, translate the new entries in locale/vi/LC_MESSAGES/django.po, and run
`make messages` again to compile.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"
IGNORE = [".venv", "tests", "bench", "staticfiles", "scripts"]


def extracted() -> polib.POFile:
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    backup = Path(tempfile.mkdtemp()) / "django.po"
    shutil.copy2(CATALOGUE, backup)
    try:
        os.chdir(ROOT)
        call_command("makemessages", locale=["vi"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0)
        return polib.pofile(str(CATALOGUE))
    finally:
        shutil.copy2(backup, CATALOGUE)


def main() -> int:
    committed = polib.pofile(str(CATALOGUE))
    known = {(e.msgctxt, e.msgid) for e in committed.translated_entries() if "fuzzy" not in e.flags}
    missing = [e for e in extracted() if (e.msgctxt, e.msgid) not in known]
    if not missing:
        print(f"catalogue complete: {len(known)} strings translated")
        return 0
    print(f"{len(missing)} strings of the code have no Vietnamese translation (run `make messages`):")
    for entry in missing[:40]:
        where = entry.occurrences[0][0] if entry.occurrences else "?"
        print(f"  {where}: {entry.msgid[:100]!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
