"""Celery tasks of the fund app: borrower and household files imported (`common.jobs`)."""

from celery import shared_task

from common import jobs
from fund import imports


@shared_task(name="fund.import_borrowers")
def import_borrowers(job_id: int) -> None:
    jobs.run_import(job_id, imports.import_job)
