import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from openpyxl import Workbook, load_workbook

from common.models import ImportJob
from fund import imports
from fund.models import Borrower, HouseholdMember
from tests.fund.factories import HouseholdGroupFactory

pytestmark = pytest.mark.django_db

BORROWER_HEADER = [
    "Type", "Name", "Registration or decision number", "Tax code", "Province", "District", "Commune",
    "Street, village or hamlet", "Representative", "Representative's title", "Phone", "Sector",
    "Number of members", "Founding date", "Notes",
]  # fmt: skip
GOOD_ROWS = [
    ["htx", "HTX Nông nghiệp Tân Lập", "1000123456", "1000123456", "Thái Bình", "Vũ Thư", "Tân Lập", None,
     "Nguyễn Văn Hùng", "Giám đốc", "0912345678", "crops", 215, "12/05/1998", None],
    ["Tổ vay vốn", "Tổ vay vốn xã Vũ Hội", "12/QĐ-HND", None, "Thái Bình", "Vũ Thư", "Vũ Hội", None,
     "Đỗ Văn Quý", None, "0977 555 111", "Livestock", 6, "01/03/2023", None],
    ["Cooperative group (THT)", "THT Rau Đông Sơn", "03/HĐHT", None, "Thái Bình", "Đông Hưng", "Đông Sơn",
     "Thôn 1", "Phạm Thị Lan", "Tổ trưởng", "0978123456", "crops", 12, "18/02/2019", "ghi chú"],
]  # fmt: skip


@pytest.fixture
def in_english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def workbook(header, rows) -> io.BytesIO:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_a_good_file_imports_every_borrower(officer):
    report = imports.import_file(
        actor=officer, kind=imports.BORROWERS, file=workbook(BORROWER_HEADER, GOOD_ROWS)
    )
    assert report.ok and report.created == 3
    group = Borrower.objects.get(registration_number="12/QĐ-HND")
    assert group.type == Borrower.Type.HOUSEHOLD_GROUP
    assert group.phone == "0977555111" and group.sector == "livestock"
    assert Borrower.objects.get(tax_code="1000123456").founded_on.isoformat() == "1998-05-12"


def test_one_bad_row_imports_nothing_and_says_which_row_and_column(officer):
    rows = [list(row) for row in GOOD_ROWS]
    rows[1][10] = "12345"  # row 3 of the sheet: a phone number too short
    report = imports.import_file(actor=officer, kind=imports.BORROWERS, file=workbook(BORROWER_HEADER, rows))
    assert not report.ok and report.created == 0
    assert [(e.row, e.column) for e in report.errors] == [(3, "Phone")]
    assert not Borrower.objects.exists()


def test_every_problem_is_reported_unreadable_cells_once(officer):
    rows = [list(row) for row in GOOD_ROWS]
    rows[0][12] = "many"  # not a number
    rows[0][0] = "bank"  # not a type
    rows[2][3] = "123"  # a malformed tax code
    rows.append(list(GOOD_ROWS[1]))  # a good row again: the same group twice in one file
    report = imports.import_file(actor=officer, kind=imports.BORROWERS, file=workbook(BORROWER_HEADER, rows))
    found = sorted((e.row, e.column) for e in report.errors)
    assert found == [(2, "Number of members"), (2, "Type"), (4, "Tax code"), (5, "row")]
    assert not Borrower.objects.exists()


def test_a_missing_column_is_reported_before_any_row(officer):
    header = [h for h in BORROWER_HEADER if h != "Province"]
    rows = [[v for i, v in enumerate(row) if BORROWER_HEADER[i] != "Province"] for row in GOOD_ROWS]
    report = imports.import_file(actor=officer, kind=imports.BORROWERS, file=workbook(header, rows))
    assert [(e.row, e.column) for e in report.errors] == [(1, "Province")]


def test_households_join_their_groups_or_nothing_is_imported(officer):
    group = HouseholdGroupFactory(registration_number="12/QĐ-HND", commune="Vũ Hội")
    header = ["Group's registration or decision number", "Group's commune", "Head of household", "ID number",
              "Village or hamlet", "Phone", "Farmers' Union member", "Joined on"]  # fmt: skip
    good = [
        ["12/QĐ-HND", None, "Bùi Thị Hằng", "034182004567", "Thôn Đông", None, "x", "01/03/2023"],
        ["12/QĐ-HND", "vũ hội", "Trần Văn Khải", "034072003456", "Thôn Bắc", "0912345678", "no", None],
    ]
    report = imports.import_file(actor=officer, kind=imports.HOUSEHOLDS, file=workbook(header, good))
    assert report.ok and report.created == 2
    assert list(group.members.order_by("id_number").values_list("farmers_union_member", flat=True)) == [
        False,
        True,
    ]

    bad = [
        ["12/QĐ-HND", None, "Nguyễn Văn Thắng", "034075009876", "Thôn Nam", None, None, None],
        ["99/QĐ-HND", None, "Phạm Văn Đức", "034080002345", "Thôn Nam", None, None, None],
    ]
    report = imports.import_file(actor=officer, kind=imports.HOUSEHOLDS, file=workbook(header, bad))
    assert [(e.row, e.column) for e in report.errors] == [(3, "Group's registration or decision number")]
    assert HouseholdMember.objects.count() == 2


def test_the_downloadable_template_reads_back(officer, client):
    client.force_login(officer)
    response = client.get(reverse("fund:borrower_import_template"), {"kind": "borrowers"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet["K2"].number_format == "@"  # phones keep their leading 0
    for row in GOOD_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    report = imports.import_file(actor=officer, kind=imports.BORROWERS, file=buffer)
    assert report.ok, [str(e) for e in report.errors]
    assert Borrower.objects.count() == 3 + 1  # and the template's example row


def test_only_officers_import(user_with_role):
    with pytest.raises(PermissionDenied):
        imports.import_file(
            actor=user_with_role("accountant"),
            kind=imports.BORROWERS,
            file=workbook(BORROWER_HEADER, GOOD_ROWS),
        )
    assert not Borrower.objects.exists()


def test_the_import_page_lists_the_problems(officer, client, upload):
    client.force_login(officer)
    rows = [list(row) for row in GOOD_ROWS]
    rows[2][6] = None
    file = workbook(BORROWER_HEADER, rows)
    file.name = "borrowers.xlsx"
    response = upload(client, reverse("fund:borrower_import"), {"kind": "borrowers", "file": file})
    assert response.status_code == 200
    with translation.override("vi"):  # the page speaks the user's language
        commune = capfirst(Borrower._meta.get_field("commune").verbose_name)
    assert [(e["row"], e["column"]) for e in response.context["job"].errors] == [(4, commune)]
    assert not Borrower.objects.exists()


@pytest.mark.parametrize("kind", [imports.BORROWERS, imports.HOUSEHOLDS])
def test_a_file_over_the_row_limit_imports_nothing(officer, settings, kind):
    HouseholdGroupFactory(registration_number="12/QĐ-HND")
    settings.IMPORT_MAX_ROWS = 2
    header = [
        str(c.headers[-1])
        for c in (imports.borrower_columns() if kind == imports.BORROWERS else imports.household_columns())
    ]
    rows = (
        GOOD_ROWS
        if kind == imports.BORROWERS
        else [
            ["12/QĐ-HND", None, f"Hộ {n}", f"03418200456{n}", "Thôn Đông", None, None, None] for n in range(3)
        ]
    )
    before = (Borrower.objects.count(), HouseholdMember.objects.count())
    report = imports.import_file(actor=officer, kind=kind, file=workbook(header, rows))
    assert [str(e) for e in report.errors] == [
        "The sheet has 3 rows; an import takes at most 2. Split the file."
    ]
    assert report.created == 0
    assert (Borrower.objects.count(), HouseholdMember.objects.count()) == before


def test_the_template_stays_within_the_row_limit(officer, client, settings):
    settings.IMPORT_MAX_ROWS = 20
    client.force_login(officer)
    response = client.get(reverse("fund:borrower_import_template"), {"kind": "borrowers"})
    book = load_workbook(io.BytesIO(response.content))
    for column, value in enumerate(GOOD_ROWS[0], start=1):
        book.worksheets[0].cell(row=2, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    report = imports.import_file(actor=officer, kind=imports.BORROWERS, file=buffer)
    assert report.ok and report.created == 1


@pytest.mark.parametrize("kind", [imports.BORROWERS, imports.HOUSEHOLDS])
def test_the_import_page_starts_a_job_whose_page_gives_the_rows_imported(
    officer, in_english_pages, upload, kind
):
    client = in_english_pages
    HouseholdGroupFactory(registration_number="12/QĐ-HND")
    header = [str(c.headers[-1]) for c in imports.household_columns()] if kind == imports.HOUSEHOLDS else None
    file = (
        workbook(header, [["12/QĐ-HND", None, f"Hộ {n}", f"03418200456{n}", "Thôn Đông"] for n in range(2)])
        if kind == imports.HOUSEHOLDS
        else workbook(BORROWER_HEADER, GOOD_ROWS)
    )
    file.name = f"{kind}.xlsx"
    before = (Borrower.objects.count(), HouseholdMember.objects.count())
    client.force_login(officer)
    page = upload(client, reverse("fund:borrower_import"), {"kind": kind, "file": file})
    job = page.context["job"]
    added = 3 if kind == imports.BORROWERS else 2
    assert (job.state, job.kind, job.rows_total) == ("done", kind, added)
    assert f"{added} rows imported." in page.content.decode()
    after = (Borrower.objects.count(), HouseholdMember.objects.count())
    assert after == ((before[0] + 3, before[1]) if kind == imports.BORROWERS else (before[0], before[1] + 2))


@pytest.mark.parametrize("kind", [imports.BORROWERS, imports.HOUSEHOLDS])
def test_a_bad_file_imports_nothing_and_its_job_is_another_users_404(
    officer, client, upload, user_with_role, kind
):
    HouseholdGroupFactory(registration_number="12/QĐ-HND")
    header = [str(c.headers[-1]) for c in imports.household_columns()] if kind == imports.HOUSEHOLDS else None
    file = (
        workbook(
            header,
            [["12/QĐ-HND", None, "Hộ 1", "034182004561", None], ["99/XX", None, "Hộ 2", "0341", "Thôn"]],
        )
        if kind == imports.HOUSEHOLDS
        else workbook(BORROWER_HEADER, [GOOD_ROWS[0], [None, *GOOD_ROWS[1][1:]]])
    )
    file.name = f"{kind}.xlsx"
    before = (Borrower.objects.count(), HouseholdMember.objects.count())
    client.force_login(officer)
    page = upload(client, reverse("fund:borrower_import"), {"kind": kind, "file": file})
    job = page.context["job"]
    assert job.state == "failed" and job.errors and {e["row"] for e in job.errors} <= {2, 3}
    assert 'class="message error" role="alert"' in page.content.decode()  # the refusal, with its rows
    assert (Borrower.objects.count(), HouseholdMember.objects.count()) == before
    client.force_login(user_with_role("fund_officer"))
    assert client.get(job.get_absolute_url()).status_code == 404


def test_a_file_that_is_not_a_workbook_is_refused_by_the_page_and_no_job_starts(officer, in_english_pages):
    client = in_english_pages
    client.force_login(officer)
    file = io.BytesIO(b"name,type\nHTX,htx\n")
    file.name = "borrowers.xlsx"
    response = client.post(reverse("fund:borrower_import"), {"kind": "borrowers", "file": file})
    assert response.status_code == 400
    assert "This is not an .xlsx workbook." in response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()
