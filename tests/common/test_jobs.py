"""File imports run as background jobs (`common.jobs`): who sees a job, its polling, and a job
that fails or whose task is delivered twice. Each import's own figures are tested with its app."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from common import jobs
from common.models import ImportJob, JobState
from ledger.models import Account
from ledger.services.accounts import import_chart_job
from tests.ledger.test_accounts import exported

pytestmark = pytest.mark.django_db

TASK = "ledger.import_chart"


@pytest.fixture
def start(accountant, django_capture_on_commit_callbacks):
    """A chart import started for the accountant; `run=False` leaves it waiting for a worker."""

    def start(*, run: bool = True) -> ImportJob:
        upload = SimpleUploadedFile("chart.xlsx", exported().getvalue())
        with django_capture_on_commit_callbacks(execute=run):
            job = jobs.start_import(
                actor=accountant,
                permission="ledger.change_account",
                kind="chart",
                title="Chart",
                task=TASK,
                page=reverse("ledger:chart_import"),
                upload=upload,
            )
        job = ImportJob.objects.get(pk=job.pk)
        return job

    return start


def test_the_page_polls_while_the_job_waits_and_stops_once_it_is_done(client, accountant, start):
    client.force_login(accountant)
    job = start(run=False)
    progress = reverse("common:import_progress", args=[job.pk])
    waiting = client.get(progress).content.decode()
    assert job.state == JobState.QUEUED and f'hx-get="{progress}"' in waiting
    assert job.file and job.file.storage.exists(job.file.name)  # kept for the worker

    stored = job.file.name
    jobs.run_import(job.pk, import_chart_job)
    job = ImportJob.objects.get(pk=job.pk)
    done = client.get(progress).content.decode()
    assert job.state == JobState.DONE and "hx-get" not in done
    assert "Chart imported" in done and f"{Account.objects.count()} unchanged" in done
    assert not job.file and not job.file.storage.exists(stored)  # what it did is on the job


def test_only_its_user_and_superusers_see_a_job(client, start, user_with_role):
    job = start()
    client.force_login(user_with_role("accountant"))
    assert client.get(job.get_absolute_url()).status_code == 404
    client.force_login(user_with_role(is_superuser=True))
    assert client.get(job.get_absolute_url()).status_code == 200


def test_an_importer_that_breaks_fails_the_job_with_a_message_and_changes_nothing(start):
    job = start(run=False)
    before = list(Account.objects.values_list("code", "name_vi"))

    def breaks(job, file):
        Account.objects.filter(code="1111").update(name_vi="changed")
        raise RuntimeError("a bug")

    jobs.run_import(job.pk, breaks)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.state == JobState.FAILED and job.finished_at
    assert [e["message"] for e in job.errors] == ["The import could not be written. Tell the administrator."]
    assert list(Account.objects.values_list("code", "name_vi")) == before
    assert not job.file


def test_a_task_delivered_again_after_its_job_ended_does_nothing(start):
    job = start()
    assert job.state == JobState.DONE

    def never(job, file):
        raise AssertionError("imported twice")

    jobs.run_import(job.pk, never)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.state == JobState.DONE


def test_a_user_who_lost_the_right_to_import_gets_a_refusal_not_an_import(start, accountant):
    job = start(run=False)
    accountant.groups.clear()
    jobs.run_import(job.pk, import_chart_job)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.state == JobState.FAILED
    assert [e["message"] for e in job.errors] == ["You may not change the chart of accounts."]


def test_a_job_started_with_no_language_active_runs_in_the_sites_language(start, settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override(None):  # a management command, a worker: translations off
        job = start(run=False)
    assert job.language == "en"
