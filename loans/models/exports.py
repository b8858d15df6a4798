"""A report's .xlsx too long to write while the browser waits: built by a Celery task
(`loans.services.exports`), its progress kept on the row, the file kept a few days for the
user who asked."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.dates import format_datetime
from common.fields import one_of
from common.files import random_name
from common.models import BackgroundJob, JobState


def export_path(instance: "ExportJob", filename: str) -> str:
    return random_name("exports", filename)


class ExportState(models.TextChoices):
    QUEUED = JobState.QUEUED.value, _("Waiting")
    RUNNING = JobState.RUNNING.value, _("Being written")
    DONE = JobState.DONE.value, _("Ready")
    FAILED = JobState.FAILED.value, _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportFailure(models.TextChoices):
    """Why an export failed, as the user reads it: what happened, and what to do."""

    ERROR = (
        "error",
        _("The report could not be written. Try again; if it fails again, tell the administrator."),
    )
    TOO_LARGE = (
        "too_large",
        _("The workbook came to more than an export may keep (%(limit)s): narrow the filters."),
    )


class ExportJob(BackgroundJob):
    """One .xlsx export of a report as of a date with its filters (`parameters`, as validated:
    what the task draws again), for the user who asked. At most one is queued or running per
    user and identical request (`key`): asking again while it works finds it. What the sheets
    translate (a borrower's type) is written in the request's `language`, as the synchronous
    export would have been."""

    State = ExportState
    Failure = ExportFailure

    report = models.CharField(_("report"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    filters = models.CharField(_("filters"), max_length=500, blank=True)  # as the user read them
    parameters = models.JSONField(_("parameters"))
    key = models.CharField(max_length=64, editable=False)  # of the report and its parameters
    # A job's states, and one more: its file deleted after `EXPORT_KEEP_DAYS`.
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED, protected=True)
    failure = models.CharField(_("why it failed"), max_length=16, choices=Failure.choices, blank=True)
    filename = models.CharField(_("file name"), max_length=120)
    file = models.FileField(_("file"), upload_to=export_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "finished_at"], name="loans_export_expiry_idx")]
        constraints = [
            one_of("loans_exportjob", "state", ExportState.values),
            models.UniqueConstraint(
                fields=["requested_by", "key"],
                condition=models.Q(state__in=[ExportState.QUEUED, ExportState.RUNNING]),
                name="loans_export_once_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({format_datetime(self.created_at)})"

    def get_absolute_url(self) -> str:
        return reverse("loans:export", args=[self.pk])

    @property
    def progress_url(self) -> str:
        return reverse("loans:export_progress", args=[self.pk])

    @property
    def message(self) -> str:
        """Why it failed, in the reader's language."""
        if not self.failure:
            return ""
        return str(self.Failure(self.failure).label) % {"limit": filesizeformat(settings.EXPORT_MAX_BYTES)}

    @property
    def kept_until(self):
        """When its file is deleted (`loans.services.exports.expire_exports`)."""
        return self.finished_at + timedelta(days=settings.EXPORT_KEEP_DAYS) if self.finished_at else None

    @transition(field="state", source=State.DONE, target=State.EXPIRED)
    def expire(self) -> None:
        pass
