"""Long report exports as jobs (`loans.services.exports`): above the threshold the .xlsx link makes
a job that a task writes (eagerly here) with the cells of the synchronous export; only its user
(and superusers) see it; an identical request while it works is the same job; a failing report
or too large a file fails the job with a message; a task run again does nothing twice; files
expire."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from common.dates import format_date
from common.xlsx import Column, Sheet
from loans import report_sheets, tasks
from loans.models import ExportJob
from loans.models.exports import ExportFailure, ExportState
from loans.services import exports
from tests.loans.conftest import shared_fund_staff_and_bank
from tests.loans.test_arrears_pages import portfolio, reader, workbook  # noqa: F401 (fixtures)
from tests.sheets import until_blank

pytestmark = pytest.mark.django_db
fund, staff, bank = shared_fund_staff_and_bank()  # the portfolio is built once for the module
MARCH = {"as_of": "2026-03-31"}  # A and C in arrears: two rows


@pytest.fixture
def long_reports(settings):
    """Any report with a row counted (the arrears list's loans) is written by a task."""
    settings.EXPORT_BACKGROUND_ROWS = 0


@pytest.fixture
def ask(reader, django_capture_on_commit_callbacks):  # noqa: F811
    """Follow a report's .xlsx link, its task run when the request's transaction commits."""

    def ask(query=MARCH, name="arrears_xlsx", client=reader):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(reverse(f"loans:{name}"), query)

    return ask


def cells(book) -> dict[str, list[tuple]]:
    """Each sheet's heading, header and table, without the signatures under it."""
    tables = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        tables[sheet.title] = rows[:6] + until_blank(rows[6:])
    return tables


def download(client, job):
    response = client.get(reverse("loans:export_download", args=[job.pk]))
    assert response.status_code == 200
    assert f'filename="{job.filename}"' in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), data_only=True)


def stored_files(settings) -> list:
    folder = settings.MEDIA_ROOT / "exports"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_long_export_is_a_job_whose_download_has_the_cells_of_the_synchronous_one(
    reader,  # noqa: F811
    portfolio,  # noqa: F811
    ask,
    settings,
    long_reports,
):
    settings.EXPORT_BACKGROUND_ROWS = 5000
    at_once = cells(workbook(reader.get(reverse("loans:arrears_xlsx"), MARCH)))
    assert not ExportJob.objects.exists()

    settings.EXPORT_BACKGROUND_ROWS = 0
    response = ask()
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.state, job.report, job.rows_done, job.rows_total) == (ExportState.DONE, "arrears", 2, 2)
    assert (
        job.filename == "no-qua-han-2026-03-31.xlsx"
        and job.filters == f"As of: {format_date(dt.date(2026, 3, 31))}"
    )
    assert job.size == (settings.MEDIA_ROOT / job.file.name).stat().st_size

    page = reader.get(job.get_absolute_url()).content.decode()
    assert reverse("loans:export_download", args=[job.pk]) in page
    assert "hx-trigger" not in page  # done: nothing left to poll
    assert cells(download(reader, job)) == at_once
    listed = reader.get(reverse("loans:exports"))
    assert list(listed.context["page"]) == [job]


def test_the_job_keeps_the_filters_it_was_asked_with(reader, portfolio, ask, long_reports):  # noqa: F811
    a, _b, c = portfolio
    ask({**MARCH, "product": a.product_id, "area": ""})
    ask({**MARCH, "product": a.product_id})  # the same again, once the first is done: a new job
    ask({**MARCH, "officer": c.created_by_id, "borrower_type": c.borrower.type})
    first, second, third = ExportJob.objects.order_by("pk")
    assert first.key == second.key != third.key
    assert (
        first.filters == f"As of: {format_date(dt.date(2026, 3, 31))}; Product: {a.product}"
    )  # as the form lists it
    kind, officer = c.borrower.get_type_display(), c.created_by.get_full_name()
    assert (
        third.filters
        == f"As of: {format_date(dt.date(2026, 3, 31))}; Borrower type: {kind}; Officer: {officer}"
    )
    rows = cells(download(reader, second))["Danh sách nợ quá hạn"]
    references = [row[0] for row in rows[6:-1]]  # under the preamble and the header, before the totals
    assert references == [a.reference]
    # A report's own options go with the job: A is 44 days past due, C 16.
    ask({**MARCH, "days_from": 10, "days_to": 30})
    fourth = ExportJob.objects.latest("pk")
    assert (
        fourth.filters
        == f"As of: {format_date(dt.date(2026, 3, 31))}; Days past due from: 10; Days past due up to: 30"
    )
    assert fourth.key != first.key
    assert [row[0] for row in cells(download(reader, fourth))["Danh sách nợ quá hạn"][6:-1]] == [c.reference]


def test_below_the_threshold_and_for_short_reports_the_link_writes_at_once(
    reader,  # noqa: F811
    portfolio,  # noqa: F811
    ask,
    settings,
):
    settings.EXPORT_BACKGROUND_ROWS = 2  # the two rows are not more than that
    assert workbook(ask()).sheetnames == ["Danh sách nợ quá hạn"]
    settings.EXPORT_BACKGROUND_ROWS = 0
    for name in ("aging_xlsx", "classification_xlsx"):  # a few rows, whatever the threshold
        assert workbook(ask(name=name)).sheetnames
    assert not ExportJob.objects.exists()


def test_another_user_gets_a_404_and_a_superuser_sees_it(
    client,
    reader,  # noqa: F811
    portfolio,  # noqa: F811
    ask,
    staff,
    user_with_role,
    long_reports,
):
    ask()
    job = ExportJob.objects.get()
    client.force_login(user_with_role("accountant"))
    for name in ("export", "export_progress", "export_download"):
        assert client.get(reverse(f"loans:{name}", args=[job.pk])).status_code == 404
    assert list(client.get(reverse("loans:exports")).context["page"]) == []
    client.force_login(staff["appraiser"])  # not allowed the reports at all
    assert client.get(reverse("loans:exports")).status_code == 403
    client.force_login(user_with_role(is_superuser=True))
    assert list(client.get(reverse("loans:exports")).context["page"]) == [job]
    assert cells(download(client, job))


def test_an_identical_request_while_one_works_is_that_job(
    reader,  # noqa: F811
    portfolio,  # noqa: F811
    staff,
    long_reports,
    django_capture_on_commit_callbacks,
):
    a, _b, _c = portfolio
    with django_capture_on_commit_callbacks() as sent:  # not run: it waits for a worker
        first = reader.get(reverse("loans:arrears_xlsx"), MARCH)
        again = reader.get(reverse("loans:arrears_xlsx"), MARCH)
        other = reader.get(reverse("loans:arrears_xlsx"), {**MARCH, "product": a.product_id})
    job, filtered = ExportJob.objects.order_by("pk")
    assert first["Location"] == again["Location"] == job.get_absolute_url() != other["Location"]
    assert len(sent) == 2 and job.state == ExportState.QUEUED
    progress = reader.get(reverse("loans:export_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" in progress and "Waiting for a worker" in progress
    # The same user's twin, running now: still that one job; another user's, a job of its own.
    job.start()
    job.save()

    def twin(actor):
        day = dt.date(2026, 3, 31)
        return exports.request_export(
            actor=actor, report="arrears", day=day, loans=None, rows=2, title="", filters="", filename="x"
        )

    assert twin(staff["accountant"]) == job
    assert twin(staff["officer"]) not in (job, filtered)


def test_a_failing_report_fails_the_job_with_a_translated_message(
    reader,  # noqa: F811
    portfolio,  # noqa: F811
    ask,
    long_reports,
    monkeypatch,
    settings,
):
    def broken(day, loans):
        raise ZeroDivisionError

    monkeypatch.setitem(report_sheets.REPORTS, "arrears", (broken, "no-qua-han"))
    response = ask()
    job = ExportJob.objects.get()
    assert (job.state, job.failure, job.file.name) == (ExportState.FAILED, ExportFailure.ERROR, "")
    page = reader.get(response["Location"])
    assert page.status_code == 200
    assert "The report could not be written. Try again" in page.content.decode()
    with translation.override("vi"):
        assert job.message and not job.message.startswith("The report")
    assert stored_files(settings) == []


def test_a_workbook_over_the_size_limit_is_not_kept(reader, portfolio, ask, long_reports, settings):  # noqa: F811
    settings.EXPORT_MAX_BYTES = 1024 * 1024
    ask()
    assert ExportJob.objects.get().state == ExportState.DONE
    settings.EXPORT_MAX_BYTES = 1000
    ask()
    job = ExportJob.objects.latest("pk")
    assert (job.state, job.failure) == (ExportState.FAILED, ExportFailure.TOO_LARGE)
    assert "narrow the filters" in job.message and "(1000" in job.message
    assert len(stored_files(settings)) == 1  # the first one's only


def test_the_task_run_again_does_nothing_twice(reader, portfolio, ask, long_reports, settings):  # noqa: F811
    ask()
    job = ExportJob.objects.get()
    written = stored_files(settings)
    tasks.run_export(job.pk)  # delivered again after it finished
    job = ExportJob.objects.get(pk=job.pk)
    assert job.state == ExportState.DONE and stored_files(settings) == written

    # A job left running (its worker died) is written afresh by the task delivered again.
    ExportJob.objects.filter(pk=job.pk).update(state=ExportState.RUNNING, rows_done=1)
    tasks.run_export(job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert (job.state, job.rows_done) == (ExportState.DONE, 2)
    assert len(stored_files(settings)) == 2 and job.file.name != written[0].name


def test_progress_is_on_the_job_while_the_rows_are_written(reader, portfolio, ask, long_reports, monkeypatch):  # noqa: F811
    """Every `PROGRESS_EVERY` rows the job says how many are written, not at every row."""
    seen = []

    def rows():
        for number in range(7):
            seen.append(ExportJob.objects.values_list("rows_done", flat=True).get())
            yield [number]

    def counting(day, loans):
        return [Sheet(title="Rows", columns=[Column("n", "integer")], rows=rows())]

    monkeypatch.setattr(exports, "PROGRESS_EVERY", 3)
    monkeypatch.setitem(report_sheets.REPORTS, "arrears", (counting, "rows"))
    ask()
    assert seen == [0, 0, 0, 3, 3, 3, 6]
    assert ExportJob.objects.get().rows_done == 7


def test_files_older_than_the_days_kept_are_deleted(reader, portfolio, ask, long_reports, settings):  # noqa: F811
    ask()
    ask({**MARCH, "borrower_type": ""})  # the same export again: kept beside the first
    old, recent = ExportJob.objects.order_by("pk")
    ExportJob.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=settings.EXPORT_KEEP_DAYS, minutes=1)
    )
    assert len(stored_files(settings)) == 2

    assert tasks.expire_exports() == 1
    assert tasks.expire_exports() == 0
    old = ExportJob.objects.get(pk=old.pk)
    assert (old.state, old.file.name) == (ExportState.EXPIRED, "")
    assert stored_files(settings) == [settings.MEDIA_ROOT / recent.file.name]
    assert reader.get(reverse("loans:export_download", args=[old.pk])).status_code == 404
    assert "has been deleted" in reader.get(old.get_absolute_url()).content.decode()
    assert download(reader, recent)

    # On access too: the list deletes what has been kept long enough.
    ExportJob.objects.filter(pk=recent.pk).update(finished_at=old.finished_at)
    reader.get(reverse("loans:exports"))
    assert stored_files(settings) == []


def test_a_job_abandoned_for_hours_fails_and_the_export_can_be_asked_again(
    reader,  # noqa: F811
    portfolio,  # noqa: F811
    ask,
    long_reports,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks():  # never sent: the process ended
        reader.get(reverse("loans:arrears_xlsx"), MARCH)
    lost = ExportJob.objects.get()
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - exports.ABANDONED_AFTER)
    ask()
    lost = ExportJob.objects.get(pk=lost.pk)
    assert (lost.state, lost.failure) == (ExportState.FAILED, ExportFailure.ERROR)
    assert ExportJob.objects.latest("pk").state == ExportState.DONE
