"""The Celery app. Settings come from Django's, under the CELERY_ prefix.

Without CELERY_BROKER_URL every task runs eagerly in the calling process; with it,
tasks go to the broker and real workers (`celery -A config worker`, `celery -A config beat`).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coopfund")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
