"""Work too long to do while the browser waits, done by a Celery task for the user who asked
(eagerly without a broker): a `BackgroundJob` row keeps its state and progress, which its page
polls. The report exports (`loans.ExportJob`) and the file imports (`ImportJob`) are such jobs.
"""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.fields import one_of, staff_user
from common.files import random_name


class JobState(models.TextChoices):
    """Where a job is: working while it waits for a worker or runs, then done or failed."""

    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BackgroundJob(models.Model):
    """One task's work for `requested_by`, in the language of the request (what the task writes
    speaks it). Only that user (and superusers) see it: `visible_to`."""

    WORKING = (JobState.QUEUED, JobState.RUNNING)

    requested_by = staff_user(_("asked by"))
    language = models.CharField(_("language"), max_length=8)
    state = FSMField(
        _("state"), max_length=8, choices=JobState.choices, default=JobState.QUEUED, protected=True
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def visible_to(cls, user) -> models.QuerySet:
        jobs = cls.objects.select_related("requested_by")
        return jobs if user.is_superuser else jobs.filter(requested_by=user)

    @property
    def working(self) -> bool:
        return self.state in self.WORKING

    @transition(field="state", source=JobState.QUEUED, target=JobState.RUNNING)
    def start(self) -> None:
        pass

    @transition(field="state", source=JobState.RUNNING, target=JobState.DONE)
    def finish(self) -> None:
        self.finished_at = timezone.now()

    @transition(field="state", source=WORKING, target=JobState.FAILED)
    def fail(self) -> None:
        self.finished_at = timezone.now()


def import_path(instance: "ImportJob", filename: str) -> str:
    return random_name("imports", filename)


class ImportJob(BackgroundJob):
    """An uploaded file imported all or nothing by a task (`common.jobs`): the Celery `task`
    that imports this `kind` of file, then what it did as the user reads it (`summary`: lines,
    and a table of what was written) or the rows it refused (`errors`: row, column, message),
    nothing written. The file is deleted once read."""

    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    task = models.CharField(max_length=100, editable=False)
    page = models.CharField(_("import page"), max_length=200)  # where another file is uploaded
    file = models.FileField(_("file"), upload_to=import_path, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    summary = models.JSONField(_("result"), default=dict)
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [one_of("common_importjob", "state", JobState.values)]

    def __str__(self) -> str:
        return f"{self.title}: {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("common:import_job", args=[self.pk])

    @property
    def progress_url(self) -> str:
        return reverse("common:import_progress", args=[self.pk])
