"""A web process without a broker runs tasks eagerly: it must know them without a worker having
started (Celery discovers tasks lazily, when a worker imports its modules), or a task sent from a
page would look for a broker that is not there."""

import json
import subprocess
import sys

from django.conf import settings


def test_a_fresh_django_process_knows_every_task_of_the_apps():
    code = (
        "import django; django.setup(); from celery import current_app; import json; "
        "print(json.dumps(sorted(name for name in current_app.tasks if name.startswith('loans.'))))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    found = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert {"loans.check_books", "loans.run_export", "loans.close_chunk"} <= set(json.loads(found.stdout))
