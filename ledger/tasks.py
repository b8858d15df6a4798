"""Celery tasks of the ledger app: a chart of accounts imported from a file (`common.jobs`)."""

from celery import shared_task

from common import jobs
from ledger.services.accounts import import_chart_job


@shared_task(name="ledger.import_chart")
def import_chart(job_id: int) -> None:
    jobs.run_import(job_id, import_chart_job)
