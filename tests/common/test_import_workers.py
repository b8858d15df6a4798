"""A file import run by a real Celery worker (Redis, PostgreSQL), as the test command's workers
close days: the page keeps the upload and answers at once, a worker imports it."""

import pytest
from django.urls import reverse
from django_celery_results.models import TaskResult

from common.models import ImportJob
from ledger.models import Account
from tests.ledger.test_accounts import workbook
from tests.loans.test_closing_workers import wait_for

pytestmark = pytest.mark.postgres


def test_a_chart_import_is_run_by_a_worker(celery_workers, client, accountant, settings):
    settings.MEDIA_ROOT = celery_workers.media_root  # where the workers read the upload
    client.force_login(accountant)
    file = workbook(
        [
            ["Account code", "Name in Vietnamese", "Name in English", "Type", "Parent account", "Active"],
            ["11214", "Tiền gửi tại Vietcombank", "Vietcombank", "asset", "1121", "yes"],
        ]
    )
    file.name = "chart.xlsx"

    response = client.post(reverse("ledger:chart_import"), {"file": file})
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    wait_for(lambda: not ImportJob.objects.get().working, seconds=60)

    job = ImportJob.objects.get()
    assert (job.state, job.rows_total, job.errors) == ("done", 1, [])
    assert Account.objects.get(code="11214").name_en == "Vietcombank"
    worker = TaskResult.objects.get(task_name="ledger.import_chart").worker
    assert worker in {celery_workers.hostname(0), celery_workers.hostname(1)}
