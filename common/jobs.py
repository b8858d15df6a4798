"""Background jobs (`common.models`): sending one's task to the workers, and a file import run
by its task.

An import page validates the upload (size, type) while the user waits and stores it on an
`ImportJob`; the app's task then runs the app's import service on it, all or nothing, and keeps
what it did, or each row it refused, on the job for its page. Every import goes this way, small
or large: one rule, and no web worker is held for as long as a file takes.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from common.languages import language
from common.models import ImportJob, JobState

logger = logging.getLogger(__name__)


def send(task: str, job_id: int) -> None:
    """Once the transaction saving the job commits, `task` goes to the workers for it (or runs
    in this process when there is no broker)."""
    transaction.on_commit(lambda: current_app.signature(task, args=(job_id,)).apply_async())


@dataclass
class ImportOutcome:
    """What an import did, as the user reads it: a few `lines` and a table (`head`, `rows`) of
    what it wrote; or the rows it refused (`errors`: objects with row, column and message)."""

    rows: int = 0
    errors: list = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)


# What the import of a kind of file does with its job and the opened file (each app's task).
Importer = Callable[[ImportJob, object], ImportOutcome]


def start_import(
    *, actor, permission: str, kind: str, title: str, task: str, page: str, upload: UploadedFile
) -> ImportJob:
    """Keep the uploaded file (its form checked its size and type) on a job for `actor`, and
    send the job to `task` once saved."""
    if not actor.has_perm(permission):
        raise PermissionDenied
    job = ImportJob(
        requested_by=actor,
        kind=kind,
        title=title[:200],
        task=task,
        page=page[:200],
        file_name=(upload.name or "")[:255],
        language=language(),
    )
    with transaction.atomic():
        job.file.save(upload.name or "import.xlsx", upload, save=False)
        job.save()
        send(task, job.pk)
    return job


def run_import(job_id: int, importer: Importer) -> None:
    """The task: import the job's file with `importer`, in the language it was asked in. The
    import and the job's result are written in one transaction, so a task delivered again (its
    worker died) finds the job finished, or imports afresh a file nothing was kept of. Whatever
    goes wrong, the job says so; it never stays running. The file goes once it has been read."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not job.working:
            return
        if job.state == JobState.QUEUED:
            job.start()
            job.save()
    try:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().select_related("requested_by").get(pk=job_id)
            if job.state != JobState.RUNNING:
                return
            with translation.override(job.language):
                try:
                    with job.file.open("rb") as file:
                        outcome = importer(job, file)
                except ValidationError as error:
                    outcome = _refused(error.messages)
                except PermissionDenied as error:  # the user lost the right since the upload
                    outcome = _refused([str(error) or _("You may not import this file.")])
            _settle(job, outcome)
    except Exception:
        logger.exception("import %s failed", job_id)
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.state == JobState.RUNNING:
                with translation.override(job.language):
                    message = _("The import could not be written. Tell the administrator.")
                _settle(job, _refused([message]))
    _forget_file(job_id)


@dataclass
class _FileError:
    """A problem with the whole file, not one of its rows."""

    message: str
    row: str = ""
    column: str = ""


def _refused(messages: list[str]) -> ImportOutcome:
    """The file refused as a whole, for these reasons."""
    return ImportOutcome(errors=[_FileError(message) for message in messages])


def _forget_file(job_id: int) -> None:
    """Delete the job's file once the job is over: what it did is on the job."""
    job = ImportJob.objects.get(pk=job_id)
    if job.file and not job.working:
        job.file.storage.delete(job.file.name)
        ImportJob.objects.filter(pk=job_id).update(file="")


def _settle(job: ImportJob, outcome: ImportOutcome) -> None:
    job.rows_done = job.rows_total = outcome.rows
    if outcome.errors:
        job.errors = [
            {"row": e.row or "", "column": str(e.column), "message": str(e.message)} for e in outcome.errors
        ]
        job.rows_done = 0
        job.fail()
    else:
        job.summary = {"lines": outcome.lines, "head": outcome.head, "table": outcome.table}
        job.finish()
    job.save()
