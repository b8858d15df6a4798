"""The nightly close of day as a django-celery-beat periodic task, off until the fund turns it
on (in the admin: enable it and set the accountant it runs as in its keyword arguments)."""

import json

from django.db import migrations

NAME = "Close of day (nightly)"


def add_task(apps, schema_editor):
    Crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _created = Crontab.objects.get_or_create(
        minute="30", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Ho_Chi_Minh"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "loans.close_to_today",
            "crontab": schedule,
            "kwargs": json.dumps({"username": ""}),
            "enabled": False,
            "description": "Closes every day up to yesterday at 00:30; set the accountant's username first.",
        },
    )


def remove_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0010_close_runs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_task, remove_task)]
