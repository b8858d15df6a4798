from datetime import date
from decimal import Decimal

import pytest

from ledger.models import Account
from ledger.selectors import (
    account_balance,
    account_balances,
    accounts_total,
    chart,
    journal_entries,
    ledger_detail,
    trial_balance,
)
from ledger.services import Line, reverse_entry
from tests.ledger.factories import post

pytestmark = pytest.mark.django_db

D = Decimal


def test_balances_as_of_a_date_include_sub_accounts(books):
    assert account_balance(code="11212", as_of=date(2025, 1, 9)) == D(1_000_000_000)
    assert account_balance(code="11212", as_of=date(2025, 1, 10)) == D(700_000_000)
    assert account_balance(code="112", as_of=date(2025, 12, 31)) == D(702_000_000)
    assert account_balance(code="1283", as_of=date(2025, 12, 31)) == D(300_000_000)
    assert account_balance(code="41111", as_of=date(2025, 12, 31)) == D(-1_000_000_000)
    assert account_balance(code="2293", as_of=date(2025, 12, 31)) == D(-2_250_000)  # a credit balance
    assert account_balance(code="11212", as_of=date(2024, 12, 31)) == 0


def test_a_parent_has_no_postings_of_its_own(books):
    assert account_balance(code="112", as_of=date(2025, 12, 31), include_children=False) == 0


def test_a_set_of_accounts_counts_each_account_once(books):
    as_of = date(2025, 12, 31)
    assert accounts_total(codes=["112", "1121", "11212"], as_of=as_of) == D(702_000_000)
    assert accounts_total(codes=["1111", "112"], as_of=as_of) == D(702_000_000)
    balances = account_balances(codes=["112", "5151"], as_of=as_of)
    assert balances == {"112": D(702_000_000), "5151": D(-2_000_000)}


def test_an_unknown_code_is_an_error_not_a_zero():
    with pytest.raises(Account.DoesNotExist):
        account_balance(code="999", as_of=date(2025, 1, 1))


def test_the_trial_balance_balances_on_and_off_the_balance_sheet(books):
    balance = trial_balance(as_of=date(2025, 12, 31))
    on, off = balance.sections
    assert balance.balanced
    assert on.total_debit == on.total_credit == D(1_004_250_000)
    assert off.total_debit == off.total_credit == D(50_000_000)
    assert {row.code for row in off.rows} == {"004", "0041", "009"}
    by_code = {row.code: row for row in on.rows}
    assert by_code["11212"].debit_balance == D(702_000_000) and by_code["11212"].credit_balance == 0
    assert by_code["22932"].credit_balance == D(2_250_000)
    assert by_code["112"].debit_balance == D(702_000_000) and not by_code["112"].postable
    assert "1111" not in by_code  # never posted to
    assert "1111" in {row.code for row in trial_balance(as_of=date(2025, 12, 31), include_zero=True).rows}


def test_the_trial_balance_is_as_of_its_date(books):
    january = trial_balance(as_of=date(2025, 1, 31))
    assert january.balanced
    assert {row.code for row in january.rows if row.postable} == {"11212", "41111", "128311", "13881", "5151"}
    assert trial_balance(as_of=date(2024, 12, 31)).rows == []


def test_the_trial_balance_is_one_query(books, django_assert_num_queries):
    with django_assert_num_queries(1):
        trial_balance(as_of=date(2025, 12, 31))


def test_the_general_ledger_has_opening_running_and_closing_balances(books):
    detail = ledger_detail(code="112", date_from=date(2025, 1, 5), date_to=date(2025, 2, 28))
    assert detail.opening == D(1_000_000_000)
    assert [(r.memo, r.debit, r.credit, r.balance) for r in detail.rows] == [
        ("Giải ngân HTX A", 0, D(300_000_000), D(700_000_000)),
        ("Thu lãi", D(2_000_000), 0, D(702_000_000)),
    ]
    assert detail.total_debit == D(2_000_000) and detail.total_credit == D(300_000_000)
    assert detail.closing == account_balance(code="112", as_of=date(2025, 2, 28))
    assert {r.account_code for r in detail.rows} == {"11212"}


def test_the_general_ledger_lists_lines_in_date_then_number_order():
    late = post(value_date=date(2025, 5, 2), amount=1)
    early = post(value_date=date(2025, 5, 1), amount=2)
    same_day = post(value_date=date(2025, 5, 2), amount=3)
    detail = ledger_detail(code="1111", date_from=date(2025, 5, 1), date_to=date(2025, 5, 31))
    assert [r.number for r in detail.rows] == [early.number, late.number, same_day.number]
    assert [r.balance for r in detail.rows] == [2, 3, 6]


def test_the_chart_adds_leaves_into_their_parents(books):
    rows = {row.code: row for row in chart(as_of=date(2025, 12, 31))}
    assert rows["1283"].balance == rows["12831"].balance == rows["128311"].balance == D(300_000_000)
    assert rows["128"].depth == 0 and rows["1283"].depth == 1 and rows["128311"].depth == 3
    codes = [row.code for row in chart()]
    assert codes == sorted(codes)


def test_journal_filters(books):
    reversal = reverse_entry(
        entry=journal_entries(text="Thu lãi").get(memo="Thu lãi"), reason="Nhầm", created_by=None
    )
    assert [e.memo for e in journal_entries(date_from=date(2025, 2, 1), date_to=date(2025, 2, 28))] == [
        "Nhầm",
        "Dự phòng chung",
        "Thu lãi",
    ]
    assert {e.memo for e in journal_entries(account_code="1388")} == {"Dự thu lãi", "Thu lãi", "Nhầm"}
    assert [e.pk for e in journal_entries(source_kind="reversal")] == [reversal.pk]
    assert [e.memo for e in journal_entries(text=reversal.number)] == ["Nhầm"]


def test_journal_text_search_looks_in_line_references():
    post(lines=[Line("1111", debit=D(5), reference="PT-0042"), Line("41111", credit=D(5))], memo="Thu tiền")
    post(memo="Khác")
    assert [e.memo for e in journal_entries(text="pt-0042")] == ["Thu tiền"]


def test_reports_default_to_today_or_the_last_value_date_if_later():
    from django.utils import timezone

    from ledger.selectors import reporting_date

    today = timezone.localdate()
    assert reporting_date() == today
    post(value_date=today.replace(year=today.year + 1))
    assert reporting_date() == today.replace(year=today.year + 1)


def test_the_general_ledger_names_each_line_s_contra_accounts():
    one = [Line("1111", debit=D(3)), Line("41111", credit=D(2)), Line("6428", credit=D(1))]
    many = [
        Line("1111", debit=D(4)),
        Line("11212", debit=D(1)),
        Line("41111", credit=D(2)),
        Line("6428", credit=D(3)),
    ]
    post(lines=one, value_date=date(2025, 5, 1))
    post(lines=many, value_date=date(2025, 5, 2))
    rows = ledger_detail(code="1111", date_from=date(2025, 5, 1), date_to=date(2025, 5, 31)).rows
    # The only debit split by the credits it meets; several debits against several credits, named together.
    assert [(r.contra, r.debit) for r in rows] == [("41111", 2), ("6428", 1), ("41111, 6428", 4)]
    assert [r.balance for r in rows] == [2, 3, 7]
    capital = ledger_detail(code="41111", date_from=date(2025, 5, 1), date_to=date(2025, 5, 31)).rows
    assert [(r.contra, r.credit) for r in capital] == [("1111", 2), ("1111, 11212", 2)]
