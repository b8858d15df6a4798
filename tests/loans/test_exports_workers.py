"""A long report export written by a real Celery worker (Redis, PostgreSQL), the way the test
command's workers close days: the page asks, a worker writes, the file is the synchronous one."""

import pytest
from django.urls import reverse
from django_celery_results.models import TaskResult

from loans.models import ExportJob
from loans.models.exports import ExportState
from tests.loans.test_arrears_pages import build_portfolio, reader, workbook  # noqa: F401 (fixtures)
from tests.loans.test_closing_workers import wait_for
from tests.loans.test_exports import MARCH, cells, download

pytestmark = pytest.mark.postgres


@pytest.fixture
def portfolio(staff, bank):
    return build_portfolio(staff, bank)


def test_an_export_is_written_by_a_worker(celery_workers, portfolio, reader, settings):  # noqa: F811
    url = reverse("loans:arrears_xlsx")
    at_once = cells(workbook(reader.get(url, MARCH)))
    settings.EXPORT_BACKGROUND_ROWS = 0
    settings.MEDIA_ROOT = celery_workers.media_root  # where the workers write

    response = reader.get(url, MARCH)
    job = ExportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    wait_for(lambda: not ExportJob.objects.get().working, seconds=60)

    job = ExportJob.objects.get()
    assert (job.state, job.rows_done) == (ExportState.DONE, 2)
    assert cells(download(reader, job)) == at_once
    worker = TaskResult.objects.get(task_name="loans.run_export").worker
    assert worker in {celery_workers.hostname(0), celery_workers.hostname(1)}
