"""The page that brings a fund in: templates, the dry run's report, the commit by a second
accountant followed by its progress, and bad files answered field by field, never with a 500.
The portfolio is test_onboarding's hand-worked one."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from fund import roles
from ledger.models import JournalEntry
from loans.models import Loan, PortfolioImport
from loans.services.onboarding import importing
from loans.services.onboarding.workbook import ACCOUNTS, LOANS
from tests.loans.test_onboarding import LOANS_ROWS, fund, loan, product, today, workbook  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("today", "fund", "product")

URL = "loans:portfolio_imports"


@pytest.fixture
def accountants(user_with_role):
    return user_with_role(roles.ACCOUNTANT), user_with_role(roles.ACCOUNTANT)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(content, name="so-du.xlsx"):
    return SimpleUploadedFile(name, content.getvalue() if isinstance(content, io.BytesIO) else content)


def check(client, user, content, **data):
    client.force_login(user)
    return client.post(reverse(URL), {"file": upload(content), **data})


def test_the_template_downloads_with_the_products_in_its_dropdown(client, accountants):
    client.force_login(accountants[0])
    response = client.get(reverse("loans:portfolio_template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert LOANS in book.sheetnames and ACCOUNTS in book.sheetnames
    assert "VLD" in [row[0] for row in book["Danh mục"].iter_rows(values_only=True)]
    # The example lends on the demo's products: a fund without them is not offered it.
    assert client.get(reverse("loans:portfolio_example")).status_code == 404
    assert reverse("loans:portfolio_example") not in client.get(reverse(URL)).content.decode()


def test_only_accountants_see_the_page_and_its_menu_item(client, accountants, user_with_role):
    officer = user_with_role(roles.FUND_OFFICER)
    client.force_login(officer)
    assert client.get(reverse(URL)).status_code == 403
    assert client.get(reverse("loans:portfolio_template")).status_code == 403
    assert reverse(URL) not in client.get(reverse("home")).content.decode()
    client.force_login(accountants[0])
    assert reverse(URL) in client.get(reverse("home")).content.decode()


def test_a_checked_file_shows_its_report_and_is_committed_by_another_accountant(
    client, accountants, django_capture_on_commit_callbacks
):
    checker, committer = accountants
    response = check(client, checker, workbook())
    batch = PortfolioImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("loans:portfolio_import", args=[batch.pk])
    page = client.get(response.url)
    controls = {line.code: line for line, _name in page.context["controls"]}
    assert controls["128311"].loans == controls["128311"].gl == 153_333_336
    assert not page.context["can_commit"] and "Another accountant" in page.content.decode()
    assert "what will be booked" in page.content.decode()
    commit = reverse("loans:portfolio_commit", args=[batch.pk])
    assert client.post(commit).status_code == 302  # the checker is refused, with a message
    assert PortfolioImport.objects.get().state == PortfolioImport.State.CHECKED and not Loan.objects.exists()

    client.force_login(committer)
    page = client.get(response.url)
    assert page.context["can_commit"] and commit in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(commit).status_code == 302
    page = client.get(response.url)
    assert PortfolioImport.objects.get().state == PortfolioImport.State.COMMITTED
    assert page.context["differing"] == []
    loans = list(page.context["loans"])
    assert len(loans) == 3
    assert reverse("loans:loan_detail", args=[loans[0].pk]) in page.content.decode()
    done = client.get(reverse("loans:portfolio_progress", args=[batch.pk])).content.decode()
    assert "hx-get" not in done  # the polling stops
    listed = client.get(reverse(URL))
    assert [b.pk for b in listed.context["page"]] == [batch.pk]


def test_a_committed_import_is_undone_from_its_page_by_another_accountant(
    client, accountants, django_capture_on_commit_callbacks
):
    checker, committer = accountants
    check(client, checker, workbook())
    batch = PortfolioImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        importing.commit_portfolio(actor=committer, batch=batch)
    page = reverse("loans:portfolio_import", args=[batch.pk])
    undo = reverse("loans:portfolio_undo", args=[batch.pk])
    client.force_login(committer)
    committed = client.get(page).content.decode()
    assert undo not in committed
    assert "what was booked" in committed and "what will be booked" not in committed
    client.post(undo, {"reason": "Sai", "confirm": "1"})  # refused: who committed it
    assert PortfolioImport.objects.get().state == PortfolioImport.State.COMMITTED
    client.force_login(checker)
    assert undo in client.get(page).content.decode()
    assert client.post(undo, {"reason": ""}).status_code == 302  # no reason: refused, said so
    assert "Undo the import" in client.get(page).content.decode()
    # First what it will post: the opening entry reversed; nothing is undone until confirmed.
    shown = client.post(undo, {"reason": "Sai tỷ lệ"})
    assert shown.status_code == 200 and "Undo the import and post" in shown.content.decode()
    assert PortfolioImport.objects.get().state == PortfolioImport.State.COMMITTED
    opening = PortfolioImport.objects.get().journal_entry.lines.values_list(
        "account__code", "debit", "credit"
    )
    mirrored = {(line.account, line.debit, line.credit) for line in shown.context["entry"].lines}
    assert mirrored == {(code, credit, debit) for code, debit, credit in opening}
    assert client.post(undo, {"reason": "Sai tỷ lệ", "confirm": "1"}).status_code == 302
    posted = PortfolioImport.objects.get().undo_entry.lines.values_list("account__code", "debit", "credit")
    assert set(posted) == mirrored
    html = client.get(page).content.decode()
    assert PortfolioImport.objects.get().state == PortfolioImport.State.UNDONE and "Undone by" in html
    assert "can be checked and brought in again" in html and "what will be booked" not in html
    assert set(Loan.objects.values_list("status", flat=True)) == {"voided"}
    voided = Loan.objects.first()
    assert "Voided" in client.get(reverse("loans:loan_detail", args=[voided.pk])).content.decode()


def test_the_undo_confirmation_is_shown_only_to_who_may_undo_a_committed_import(
    client, accountants, user_with_role, django_capture_on_commit_callbacks
):
    checker, committer = accountants
    check(client, checker, workbook())
    batch = PortfolioImport.objects.get()
    undo = reverse("loans:portfolio_undo", args=[batch.pk])
    client.force_login(committer)
    unchecked = client.post(undo, {"reason": "Sai"}, follow=True)  # checked, not committed yet
    assert "entry" not in unchecked.context and "only a committed one is undone" in unchecked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        importing.commit_portfolio(actor=committer, batch=batch)
    own = client.post(undo, {"reason": "Sai"}, follow=True)
    assert "entry" not in own.context and "not the one who committed it" in own.content.decode()
    client.force_login(user_with_role(roles.FUND_OFFICER))
    refused = client.post(undo, {"reason": "Sai"})
    assert refused.status_code == 302 and refused.context is None  # never the entry's lines
    assert PortfolioImport.objects.get().state == PortfolioImport.State.COMMITTED
    assert JournalEntry.objects.filter(reverses__isnull=False).count() == 0


def test_an_import_being_committed_is_polled_with_its_progress(client, accountants):
    batch = importing.check_portfolio(actor=accountants[0], file=workbook(), file_name="so-du.xlsx")
    importing.commit_portfolio(actor=accountants[1], batch=batch)  # its task waits for the commit
    PortfolioImport.objects.filter(pk=batch.pk).update(rows_done=2)
    client.force_login(accountants[0])
    html = client.get(reverse("loans:portfolio_progress", args=[batch.pk])).content.decode()
    assert "hx-get" in html and '<progress value="2" max="3">' in html


def test_a_bad_row_is_shown_with_its_sheet_row_and_column(client, accountants):
    rows = [*LOANS_ROWS[:3], loan("HĐ-04", "1000000001", 10_000_000, dt.date(2025, 12, 1), -5)]
    response = check(client, accountants[0], workbook(loans=rows))
    page = client.get(response.url)
    assert PortfolioImport.objects.get().state == PortfolioImport.State.REFUSED
    refused = [(r.sheet, r.error.row, str(r.error.column)) for r in page.context["refusals"]]
    assert (LOANS, 5, "Dư nợ gốc trong hạn") in refused  # the header as the sheet has it
    assert "Row" in page.content.decode() and not JournalEntry.objects.exists()


def _not_a_workbook_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def _other_workbook():
    book, buffer = Workbook(), io.BytesIO()
    book.active.append(["a", "b"])
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [b"", b"not a workbook at all", _not_a_workbook_zip(), _other_workbook(), b"PK\x03\x04broken"],
    ids=["empty", "text", "zip", "another workbook", "broken zip"],
)
def test_files_that_are_not_the_workbook_are_refused_without_a_500(client, accountants, content):
    response = check(client, accountants[0], content)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        page = client.get(response.url)
        assert page.status_code == 200 and page.context["refusals"]
        assert PortfolioImport.objects.get().state == PortfolioImport.State.REFUSED
    else:
        assert response.context["form"].errors["file"]
    assert not Loan.objects.exists()


def test_the_page_bounds_the_file_size_and_the_rows(client, accountants, settings):
    settings.PORTFOLIO_PAGE_MAX_BYTES = 1024
    response = check(client, accountants[0], workbook())
    assert response.status_code == 400 and "at most 1 KB" in " ".join(response.context["form"].errors["file"])
    settings.PORTFOLIO_PAGE_MAX_BYTES = 10 * 1024 * 1024
    settings.PORTFOLIO_PAGE_MAX_ROWS = 2
    response = check(client, accountants[0], workbook())
    messages = [r.error.message for r in client.get(response.url).context["refusals"]]
    assert any("at most 2" in m for m in messages), messages
    # The command takes a larger bound: the same file checks there.
    checked = importing.check_portfolio(actor=accountants[0], file=workbook(), file_name="x.xlsx")
    assert checked.state == PortfolioImport.State.CHECKED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source_fund": "BP"}, "capital_account"),
        ({"capital_account": "41111"}, "source_fund"),
        ({"source_fund": "B P", "capital_account": "41111"}, "source_fund"),
        ({"source_fund": "BP", "capital_account": "11211"}, "capital_account"),
    ],
)
def test_merging_takes_a_tag_and_a_capital_account_together(client, accountants, data, field):
    response = check(client, accountants[0], workbook(), **data)
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not PortfolioImport.objects.exists()


def test_a_merger_is_checked_against_the_chosen_capital_account(client, accountants):
    accounts = [["128311", 153_333_336, None]]
    response = check(
        client, accountants[0], workbook(accounts=accounts), source_fund="BP", capital_account="41111"
    )
    batch = PortfolioImport.objects.get()
    assert response.status_code == 302
    assert (batch.mode, batch.source_fund, batch.capital_account) == ("merger", "BP", "41111")
