"""A report's .xlsx too long to write while the browser waits: a job (`loans.models.ExportJob`)
that a Celery task writes (eagerly without a broker), telling its progress as it goes; the file
is kept `EXPORT_KEEP_DAYS` for the user who asked, at most `EXPORT_MAX_BYTES`.

The reports are `loans.report_sheets.REPORTS`; how many rows one will have, `ROW_COUNTS`. A
report with more than `EXPORT_BACKGROUND_ROWS` rows goes to a task; `manage.py report` always
writes in its own process."""

import hashlib
import io
import json
import logging
import tempfile
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from common.db import q_data, q_from_data
from common.jobs import send
from common.languages import language
from common.xlsx import write_workbook
from fund.services.common import require_permission
from loans import report_sheets
from loans.models import ExportJob
from loans.models.exports import ExportFailure, ExportState, export_path

PERMISSION = "loans.view_reports"  # the reports' own
PROGRESS_EVERY = 1000  # rows written between two updates of the job's progress
# A job still waiting or running after this was lost (its process ended and no worker was
# handed it again): it fails, and the same export can be asked for afresh.
ABANDONED_AFTER = timedelta(hours=12)

logger = logging.getLogger(__name__)


def rows_for_task(report: str, day: date, loans: Q | None) -> int | None:
    """The rows of the report's sheets when there are too many to write while the browser waits
    (more than `EXPORT_BACKGROUND_ROWS`); None when it should be written now."""
    count = report_sheets.ROW_COUNTS.get(report)
    rows = count(day, loans) if count is not None else 0
    return rows if rows > settings.EXPORT_BACKGROUND_ROWS else None


def request_export(
    *,
    actor,
    report: str,
    day: date,
    loans: Q | None,
    options: dict | None = None,
    rows: int,
    title: str,
    filters: str,
    filename: str,
) -> ExportJob:
    """A job writing `report` as of `day` for the loans of `loans` (the filter its page
    validated), with the report's `options` (what JSON holds), sent to the workers once saved.
    The same export asked for again by the same user while it waits or runs is that job: nothing
    is written twice."""
    require_permission(actor, PERMISSION)
    if report not in report_sheets.REPORTS:
        raise ValueError(f"no report {report!r}")
    parameters = {"as_of": day.isoformat(), "loans": q_data(loans), "options": options or {}}
    key = hashlib.sha256(json.dumps([report, parameters], sort_keys=True).encode()).hexdigest()
    expire_exports()
    same = ExportJob.objects.filter(requested_by=actor, key=key)
    if working := same.filter(state__in=ExportJob.WORKING).first():
        return working
    job = ExportJob(
        requested_by=actor,
        report=report,
        title=title[:200],
        filters=filters[:500],
        parameters=parameters,
        language=language(),
        key=key,
        rows_total=rows,
        filename=filename[:120],
    )
    try:
        with transaction.atomic():
            job.save()
            send("loans.run_export", job.pk)
    except IntegrityError:  # a twin request saved the same export first
        return same.latest("created_at")
    return job


def run_export(job_id: int) -> None:
    """Write the job's workbook, reporting its rows as it goes. A job done, failed or expired is
    left as it is, and one left running (its worker died, the task is delivered again) is
    written afresh: the task can run again and nothing is done twice. Whatever goes wrong, the
    job says so; it never stays running."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not job.working:
            return
        if job.state == ExportState.QUEUED:
            job.start()
        job.rows_done = 0
        job.save()
    running = ExportJob.objects.filter(pk=job_id, state=ExportState.RUNNING)
    try:
        sheets_of, _filename = report_sheets.REPORTS[job.report]
        parameters = job.parameters
        with translation.override(job.language), tempfile.TemporaryFile() as out:
            day, loans = date.fromisoformat(parameters["as_of"]), q_from_data(parameters["loans"])
            sheets = sheets_of(day, loans, **parameters.get("options", {}))
            rows = write_workbook(
                out, *sheets, progress=lambda done: running.update(rows_done=done), every=PROGRESS_EVERY
            )
            size = out.seek(0, io.SEEK_END)
            if size > settings.EXPORT_MAX_BYTES:
                _end(job_id, failure=ExportFailure.TOO_LARGE)
                return
            out.seek(0)
            stored = job.file.storage.save(export_path(job, job.filename), File(out, name=job.filename))
    except Exception:
        logger.exception("export %s (%s) failed", job_id, job.report)
        _end(job_id, failure=ExportFailure.ERROR)
        return
    _end(job_id, stored=stored, size=size, rows=rows)


def _end(job_id: int, *, failure: str = "", stored: str = "", size: int = 0, rows: int = 0) -> None:
    """The job done with its file `stored`, or failed; if another run of its task ended it first
    (or it was given up), this run's file is deleted."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.state != ExportState.RUNNING:
            if stored:
                job.file.storage.delete(stored)
            return
        if failure:
            job.failure = failure
            job.fail()
        else:
            job.file.name, job.size, job.rows_done, job.rows_total = stored, size, rows, rows
            job.finish()
        job.save()


def expire_exports() -> int:
    """Delete the files of the exports finished more than `EXPORT_KEEP_DAYS` ago (their rows
    stay, expired), and fail the ones abandoned (`ABANDONED_AFTER`). Run daily by
    django-celery-beat, and whenever exports are listed or asked for. Returns the files deleted."""
    now = timezone.now()
    _change_each(
        ExportJob.objects.filter(state__in=ExportJob.WORKING, created_at__lt=now - ABANDONED_AFTER), _give_up
    )
    old = now - timedelta(days=settings.EXPORT_KEEP_DAYS)
    return _change_each(ExportJob.objects.filter(state=ExportState.DONE, finished_at__lt=old), _expire)


def _change_each(jobs, change: Callable[[ExportJob], None]) -> int:
    """`change` each of `jobs` that still is one once locked, each in its own transaction."""
    changed = 0
    for pk in list(jobs.values_list("pk", flat=True)):
        with transaction.atomic():
            job = jobs.select_for_update().filter(pk=pk).first()
            if job is not None:
                change(job)
                job.save()
                changed += 1
    return changed


def _give_up(job: ExportJob) -> None:
    job.failure = ExportFailure.ERROR
    job.fail()


def _expire(job: ExportJob) -> None:
    job.file.delete(save=False)
    job.expire()
