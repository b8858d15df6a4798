"""The trial balance for a period in the accountants' layout (bảng cân đối số phát sinh): opening,
the period's movements and closing, debit and credit, parents with their leaves."""

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from ledger.selectors import PeriodRow, period_trial_balance, trial_balance
from ledger.services import post_entry
from tests.ledger.test_properties import EXAMPLES, START, drafts, rolled_back
from tests.sheets import until_blank

pytestmark = pytest.mark.django_db
FEB = {"start": date(2025, 2, 1), "end": date(2025, 2, 28)}


def test_february_hand_worked(books):
    balance = period_trial_balance(**FEB)
    on, off = balance.sections
    rows = {row.code: row.figures for row in on.rows}
    million = D(1_000_000)
    # opening Dr, Cr | posted Dr, Cr | closing Dr, Cr
    assert rows["11212"] == (700 * million, 0, 2 * million, 0, 702 * million, 0)
    assert rows["112"] == rows["1121"] == rows["11212"]  # the parents of one leaf
    assert rows["128311"] == (300 * million, 0, 0, 0, 300 * million, 0)
    assert rows["13881"] == (2 * million, 0, 0, 2 * million, 0, 0)
    assert rows["41111"] == (0, 1000 * million, 0, 0, 0, 1000 * million)
    assert rows["5151"] == (0, 2 * million, 0, 0, 0, 2 * million)
    assert rows["6426"] == (0, 0, D(2_250_000), 0, D(2_250_000), 0)
    assert rows["22932"] == (0, 0, 0, D(2_250_000), 0, D(2_250_000))
    assert on.totals == {
        "opening_debit": 1002 * million,
        "opening_credit": 1002 * million,
        "debits": D(4_250_000),
        "credits": D(4_250_000),
        "closing_debit": D(1_004_250_000),
        "closing_credit": D(1_004_250_000),
    }
    assert balance.balanced
    # The write-off is posted in March: nothing off-balance up to February's end.
    assert off.rows == []
    march = period_trial_balance(start=date(2025, 3, 1), end=date(2025, 3, 31)).sections[1]
    assert {row.code: row.figures for row in march.leaves} == {
        "0041": (0, 0, 50 * million, 0, 50 * million, 0),
        "009": (0, 0, 0, 50 * million, 0, 50 * million),
    }


@EXAMPLES
@given(
    entries=st.lists(drafts("tb"), min_size=1, max_size=10),
    start=st.integers(0, 700),
    length=st.integers(0, 400),
)
def test_any_postings_give_a_period_that_adds_up(entries, start, length):
    """Per account: opening + movements = closing; each section's debits equal its credits; a
    parent's every column is its leaves' sum; the balances are the trial balance's at either end."""
    first = START + timedelta(days=start)
    last = first + timedelta(days=length)
    with rolled_back():
        for draft in entries:
            post_entry(draft, created_by=None)
        balance = period_trial_balance(start=first, end=last, include_zero=True)
        before = {
            row.code: row.balance
            for row in trial_balance(as_of=first - timedelta(days=1), include_zero=True).rows
        }
        after = {row.code: row.balance for row in trial_balance(as_of=last, include_zero=True).rows}
    assert balance.balanced
    for section in balance.sections:
        leaves = section.leaves
        for row in section.rows:
            opening, closing = row.opening_debit - row.opening_credit, row.closing_debit - row.closing_credit
            assert opening + row.debits - row.credits == closing
            if row.postable:
                assert opening == before[row.code] and closing == after[row.code]
                assert not (row.opening_debit and row.opening_credit)
                assert not (row.closing_debit and row.closing_credit)
            else:
                below = [leaf for leaf in leaves if leaf.code.startswith(row.code) and leaf.code != row.code]
                assert row.figures == tuple(
                    sum((getattr(leaf, name) for leaf in below), D(0)) for name in PeriodRow.AMOUNTS
                )


@pytest.fixture
def accountant(client, user_with_role):
    client.force_login(user_with_role("accountant"))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_page_and_its_xlsx_show_the_same_rows(accountant, books):
    query = {"date_from": "2025-02-01", "date_to": "2025-02-28"}
    response = accountant.get(reverse("ledger:period_trial_balance"), query)
    assert response.status_code == 200
    balance = response.context["balance"]
    assert balance == period_trial_balance(**FEB)
    page = response.content.decode()
    assert "Opening balance" in page and "Posted in the period" in page and "Closing balance" in page
    export = accountant.get(reverse("ledger:period_trial_balance_export"), query)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content), data_only=True)["Bảng cân đối số phát sinh"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[0] == "Số hiệu tài khoản")
    assert rows[header][2:] == [
        "Số dư đầu kỳ - Nợ",
        "Số dư đầu kỳ - Có",
        "Số phát sinh trong kỳ - Nợ",
        "Số phát sinh trong kỳ - Có",
        "Số dư cuối kỳ - Nợ",
        "Số dư cuối kỳ - Có",
    ]
    table = until_blank(rows[header + 1 :])
    on = balance.sections[0]
    assert [row[0] for row in table[:-1]] == [row.code for row in on.rows]
    assert [row[2:] for row in table[:-1]] == [list(row.figures) for row in on.rows]
    assert table[-1][0] == "Tổng cộng" and table[-1][2:] == [on.totals[name] for name in PeriodRow.AMOUNTS]
    assert sheet.cell(row=header + 2, column=3).number_format == "#,##0"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"date_from": "2025-03-01", "date_to": "2025-02-01"}, "date_to"),
        ({"date_from": "not a date"}, "date_from"),
    ],
)
def test_a_bad_period_says_what_is_wrong(accountant, books, query, field):
    for name in ("period_trial_balance", "period_trial_balance_export"):
        response = accountant.get(reverse(f"ledger:{name}"), query)
        assert response.status_code == 400
        assert field in response.context["form"].errors


def test_nothing_given_is_this_month(accountant, books):
    response = accountant.get(reverse("ledger:period_trial_balance"))
    assert response.status_code == 200
    balance = response.context["balance"]
    assert balance.start == balance.end.replace(day=1)
