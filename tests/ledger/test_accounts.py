import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from ledger.models import Account
from ledger.reports import chart_sheet
from ledger.selectors import chart
from ledger.services import create_account, delete_account, import_chart, reverse_entry, update_account
from tests.ledger.factories import as_if_committed, post

pytestmark = pytest.mark.django_db


def new(actor, **fields):
    values = {"code": "11214", "name_vi": "Tiền gửi tại Vietcombank", "name_en": "Vietcombank"}
    values |= {"type": "asset", "parent_code": "1121"} | fields
    return create_account(actor=actor, **values)


def test_an_accountant_adds_a_sub_account_that_takes_postings(accountant):
    account = new(accountant)
    assert account.parent.code == "1121" and account.active
    assert post(debit="11214").lines.filter(account=account).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": "1111"}, "code", "There is already an account 1111."),
        ({"code": "2111"}, "code", "A sub-account's code extends its parent's: 1121…"),
        ({"code": "1121"}, "code", "There is already an account 1121."),
        ({"type": "liability"}, "type", "A sub-account has its parent's type (Asset)."),
        ({"parent_code": "9"}, "parent", "There is no account 9."),
        ({"code": "11A"}, "code", "An account code is made of digits only."),
        ({"name_vi": ""}, "name_vi", "This field cannot be blank."),
        ({"type": "cash"}, "type", "Value 'cash' is not a valid choice."),
    ],
)
def test_a_bad_account_is_refused_field_by_field(accountant, fields, field, message):
    before = Account.objects.count()
    with pytest.raises(ValidationError) as refused:
        new(accountant, **fields)
    assert message in refused.value.message_dict[field]
    assert Account.objects.count() == before


def test_an_account_with_postings_gets_no_sub_accounts(accountant):
    post(debit="4118", credit="1111")
    with pytest.raises(ValidationError) as refused:
        new(accountant, code="41181", parent_code="4118", type="equity")
    assert refused.value.message_dict["parent"] == [
        "Account 4118 has postings, so it cannot get sub-accounts."
    ]


def test_others_may_not_change_the_chart(officer):
    with pytest.raises(PermissionDenied):
        new(officer)
    with pytest.raises(PermissionDenied):
        cash = Account.objects.get(code="1111")
        update_account(actor=officer, account=cash, name_vi="x", name_en="y", active=True)


def test_an_account_is_renamed_but_keeps_its_code_type_and_parent(accountant):
    account = Account.objects.get(code="5158")
    update_account(actor=accountant, account=account, name_vi="Thu khác", name_en="Other", active=True)
    account.refresh_from_db()
    assert (account.code, account.type, account.parent.code) == ("5158", "income", "515")
    assert (account.name_vi, account.name_en) == ("Thu khác", "Other")


def test_an_account_with_a_balance_stays_active_until_it_is_zero(accountant):
    entry = post(debit="4118", credit="1111", amount=1_500)
    account = Account.objects.get(code="4118")
    with pytest.raises(ValidationError) as refused:
        update_account(actor=accountant, account=account, name_vi=account.name_vi, name_en="x", active=False)
    assert refused.value.message_dict["active"] == [
        "Account 4118 has a balance of 1,500\xa0VND; it stays active until it is zero."
    ]
    reverse_entry(entry=entry, reason="nhầm", created_by=None)
    as_if_committed()
    update_account(actor=accountant, account=account, name_vi=account.name_vi, name_en="x", active=False)
    assert not Account.objects.get(code="4118").active


def test_a_parent_stays_active_while_a_sub_account_is(accountant):
    parent = Account.objects.get(code="1121")
    with pytest.raises(ValidationError, match="Deactivate its sub-accounts first"):
        update_account(actor=accountant, account=parent, name_vi=parent.name_vi, name_en="x", active=False)


def test_only_an_unused_account_is_deleted(accountant):
    unused = new(accountant)
    delete_account(actor=accountant, account=unused)
    assert not Account.objects.filter(code="11214").exists()
    post(debit="11213")
    with pytest.raises(ValidationError, match="has postings"):
        delete_account(actor=accountant, account=Account.objects.get(code="11213"))
    with pytest.raises(ValidationError, match="has sub-accounts"):
        delete_account(actor=accountant, account=Account.objects.get(code="1121"))


# --- .xlsx out and in ---------------------------------------------------------------


def workbook(rows) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def exported() -> io.BytesIO:
    from common.xlsx import workbook_bytes

    return io.BytesIO(workbook_bytes(chart_sheet(chart())))


def test_the_export_lists_every_account_with_its_parent_and_freezes_the_header():
    sheet = load_workbook(exported()).active
    # The title (and the fund and its date, once there is one) above the header row the import
    # finds again.
    assert sheet["A2"].value == "Chart of accounts"
    assert [c.value for c in sheet[4]] == [
        "Account code",
        "Name in Vietnamese",
        "Name in English",
        "Type",
        "Parent account",
        "Active",
    ]
    assert sheet.freeze_panes == "A5"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    treasury = ("11211", "Tiền gửi tại Kho bạc Nhà nước", "State Treasury", "Asset", "1121", "yes")
    assert rows["11211"] == treasury
    assert rows["004"][3:5] == ("Off-balance", None)
    assert len(rows) == Account.objects.count()


def test_importing_the_export_changes_nothing(accountant):
    summary = import_chart(actor=accountant, file=exported())
    assert (summary.created, summary.updated) == (0, 0)
    assert summary.unchanged == Account.objects.count()


def test_an_import_adds_and_updates_accounts(accountant):
    file = workbook(
        [
            ["ACCOUNT CODE", "name in vietnamese", "Name in English", "Type", "Parent account", "Active"],
            ["112141", "Vietcombank - chi nhánh Thái Bình", None, "asset", "11214", "yes"],
            ["11214", "Tiền gửi tại Vietcombank", "Vietcombank", "Asset", "1121", None],
            ["5158", "Doanh thu tài chính khác", "Other financial income", "income", "515", "no"],
        ]
    )
    summary = import_chart(actor=accountant, file=file)
    assert (summary.created, summary.updated, summary.unchanged) == (2, 1, 0)
    child = Account.objects.get(code="112141")
    assert child.parent.code == "11214"
    assert child.name_en == child.name_vi  # no English name given: the Vietnamese one
    assert not Account.objects.get(code="5158").active


def test_one_bad_row_imports_nothing_and_every_problem_has_its_row(accountant):
    post(debit="4118", credit="1111")
    file = workbook(
        [
            ["Account code", "Name in Vietnamese", "Name in English", "Type", "Parent account", "Active"],
            ["11214", "Vietcombank", "Vietcombank", "asset", "1121", "yes"],
            ["41181", "Vốn tài trợ", "Grants", "equity", "4118", "yes"],
            ["5151", "Lãi cho vay", "Loan interest", "expense", "515", "yes"],
            ["7119", "Khác", "Other", "spending", "711", "maybe"],
            ["11214", "Again", "Again", "asset", "1121", "yes"],
        ]
    )
    before = list(Account.objects.values_list("code", "name_vi", "active"))
    with pytest.raises(ValidationError) as refused:
        import_chart(actor=accountant, file=file)
    messages = refused.value.messages
    assert any(m.startswith("Row 5, Type:") for m in messages)
    assert any(m.startswith("Row 5, Active:") for m in messages)
    assert list(Account.objects.values_list("code", "name_vi", "active")) == before


def test_an_import_may_not_move_or_retype_an_existing_account(accountant):
    file = workbook(
        [
            ["Account code", "Name in Vietnamese", "Name in English", "Type", "Parent account", "Active"],
            ["11211", "Kho bạc", "Treasury", "liability", "112", "yes"],
            ["41118", "Khác", "Other", "equity", "4111", "yes"],
            ["4118", "Vốn khác", "Other capital", "equity", "411", "yes"],
        ]
    )
    with pytest.raises(ValidationError) as refused:
        import_chart(actor=accountant, file=file)
    assert sorted(refused.value.messages) == [
        "Row 2, Parent account: The parent of an existing account does not change (it is 1121).",
        "Row 2, Type: The type of an existing account does not change (it is Asset).",
    ]
    assert not Account.objects.filter(code="41118").exists()


def test_a_file_that_is_not_a_workbook_is_refused(accountant):
    with pytest.raises(ValidationError, match="not an .xlsx workbook"):
        import_chart(actor=accountant, file=io.BytesIO(b"code,name\n"))


def test_a_chart_over_the_row_limit_imports_nothing(accountant, settings):
    settings.IMPORT_MAX_ROWS = 3
    file = workbook(
        [
            ["Account code", "Name in Vietnamese", "Name in English", "Type", "Parent account", "Active"],
            *[[f"1121{n}", f"Ngân hàng {n}", f"Bank {n}", "asset", "1121", "yes"] for n in range(5, 9)],
        ]
    )
    count = Account.objects.count()
    with pytest.raises(ValidationError) as refused:
        import_chart(actor=accountant, file=file)
    assert refused.value.messages == ["The sheet has 4 rows; an import takes at most 3. Split the file."]
    assert Account.objects.count() == count
