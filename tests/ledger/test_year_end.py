"""Closing a year: one entry dated 31/12 takes the income and expense accounts to 911 and the
result to 4212, once; it is reversed with a reason while December is open; December closes
only after it. Amounts hand-worked below."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from common.dates import format_date
from ledger.models import JournalEntry, Period, PeriodState
from ledger.selectors import account_balances, result_balances, trial_balance
from ledger.services import close_period, close_year, reopen_period, reopen_year
from ledger.services.year_end import SOURCE_YEAR_END
from tests.ledger.factories import as_if_committed, post

pytestmark = pytest.mark.django_db
LAST = date(2025, 12, 31)


def entry(day: date, debit: str, credit: str, amount: int):
    return post(value_date=day, debit=debit, credit=credit, amount=amount)


@pytest.fixture
def year(accountant):
    """2025's postings; income 3 000 000 + 400 000 + 100 000 − 50 000 = 3 450 000, expenses
    1 200 000 + 300 000 = 1 500 000: a profit of 1 950 000. The months to November closed."""
    entry(date(2025, 1, 2), "11211", "41111", 1_000_000_000)
    entry(date(2025, 3, 31), "13881", "5151", 3_000_000)
    entry(date(2025, 6, 30), "13882", "5152", 400_000)
    entry(date(2025, 9, 1), "11211", "7111", 100_000)
    entry(date(2025, 10, 5), "5158", "11211", 50_000)  # an income account with a debit balance
    entry(date(2025, 11, 15), "6428", "11211", 300_000)
    entry(date(2025, 12, 31), "6426", "22931", 1_200_000)
    as_if_committed()  # PostgreSQL checks each entry's month at commit: before the months close
    for month in range(1, 12):
        close_period(actor=accountant, year=2025, month=month)
    return 2025


def lines(closing: JournalEntry) -> list[tuple[str, D, D]]:
    return sorted(
        (line.account.code, line.debit.amount, line.credit.amount)
        for line in closing.lines.select_related("account")
    )


def test_the_closing_entry_takes_income_and_expenses_to_911_and_the_profit_to_4212(accountant, year):
    before = account_balances(codes=["11211", "13881", "22931", "41111"], as_of=LAST)
    closing = close_year(actor=accountant, year=year)
    assert (closing.value_date, closing.source_kind, closing.source_ref) == (LAST, SOURCE_YEAR_END, "2025")
    assert lines(closing) == [
        ("4212", D(0), D(1_950_000)),
        ("5151", D(3_000_000), D(0)),
        ("5152", D(400_000), D(0)),
        ("5158", D(0), D(50_000)),
        ("6426", D(0), D(1_200_000)),
        ("6428", D(0), D(300_000)),
        ("7111", D(100_000), D(0)),
        ("911", D(0), D(3_450_000)),
        ("911", D(1_500_000), D(0)),
        ("911", D(1_950_000), D(0)),
    ]
    assert result_balances(as_of=LAST) == []
    assert account_balances(codes=["911", "4212"], as_of=LAST) == {"911": D(0), "4212": D(-1_950_000)}
    # The balance sheet carries over by itself: nothing else moved, and 2026 starts from zero.
    assert account_balances(codes=["11211", "13881", "22931", "41111"], as_of=LAST) == before
    entry(date(2026, 1, 10), "13881", "5151", 700_000)
    assert account_balances(codes=["5151"], as_of=date(2026, 1, 31)) == {"5151": D(-700_000)}
    assert trial_balance(as_of=LAST).balanced
    # Closing again posts nothing.
    assert close_year(actor=accountant, year=year) == closing
    assert JournalEntry.objects.filter(source_kind=SOURCE_YEAR_END).count() == 1


def test_a_loss_is_taken_to_the_debit_of_4212(accountant):
    entry(date(2025, 5, 5), "6428", "11211", 500_000)
    entry(date(2025, 5, 6), "13881", "5151", 200_000)
    as_if_committed()
    for month in range(1, 12):
        close_period(actor=accountant, year=2025, month=month)
    assert lines(close_year(actor=accountant, year=2025)) == [
        ("4212", D(300_000), D(0)),
        ("5151", D(200_000), D(0)),
        ("6428", D(0), D(500_000)),
        ("911", D(0), D(200_000)),
        ("911", D(0), D(300_000)),
        ("911", D(500_000), D(0)),
    ]


def test_december_closes_after_the_year_and_the_closing_is_reversed_only_while_it_is_open(accountant, year):
    with pytest.raises(ValidationError, match="Close the year 2025 first"):
        close_period(actor=accountant, year=2025, month=12)
    closing = close_year(actor=accountant, year=year)
    close_period(actor=accountant, year=2025, month=12)
    with pytest.raises(ValidationError, match="12/2025 is closed: reopen it first"):
        reopen_year(actor=accountant, year=year, reason="Sai số liệu")
    reopen_period(actor=accountant, year=2025, month=12, reason="Điều chỉnh quyết toán")
    with pytest.raises(ValidationError) as refused:
        reopen_year(actor=accountant, year=year, reason=" ")
    assert refused.value.message_dict == {"reason": ["Say why the year is reopened."]}
    reversal = reopen_year(actor=accountant, year=year, reason="Sai số liệu")
    assert (reversal.reverses, reversal.value_date, reversal.memo) == (closing, LAST, "Sai số liệu")
    assert {row.code: row.balance for row in result_balances(as_of=LAST)}["5151"] == D(-3_000_000)
    with pytest.raises(ValidationError, match="2025 is not closed"):
        reopen_year(actor=accountant, year=year, reason="again")
    # Closed again after an adjustment: a new entry with the new figures.
    entry(date(2025, 12, 31), "6428", "11211", 50_000)
    again = close_year(actor=accountant, year=year)
    assert again != closing and account_balances(codes=["4212"], as_of=LAST) == {"4212": D(-1_900_000)}


def test_each_refusal_says_why_and_posts_nothing(accountant, officer, year):
    with pytest.raises(PermissionDenied):
        close_year(actor=officer, year=year)
    with pytest.raises(ValidationError, match="has not ended yet"):
        close_year(actor=accountant, year=date.today().year + 1)
    with pytest.raises(ValidationError, match="Choose a year"):
        close_year(actor=accountant, year=99999)
    reopen_period(actor=accountant, year=2025, month=3, reason="Bổ sung")
    with pytest.raises(ValidationError, match=r"Close the year's months first: 03/2025\."):
        close_year(actor=accountant, year=year)
    close_period(actor=accountant, year=2025, month=3)
    Period.objects.create(year=2025, month=12, state=PeriodState.CLOSED)  # as a hand edit would leave it
    with pytest.raises(ValidationError, match="12/2025 is closed: reopen it to post"):
        close_year(actor=accountant, year=year)
    reopen_period(actor=accountant, year=2025, month=12, reason="Mở lại")
    for month in range(1, 12):
        close_period(actor=accountant, year=2024, month=month)
    with pytest.raises(
        ValidationError,
        match=f"No income or expense account has a balance on {format_date(date(2024, 12, 31))}",
    ):
        close_year(actor=accountant, year=2024)
    assert not JournalEntry.objects.filter(source_kind=SOURCE_YEAR_END).exists()
    with pytest.raises(PermissionDenied):
        reopen_year(actor=officer, year=year, reason="x")


def test_the_periods_page_closes_and_reopens_a_year(client, settings, accountant, year):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(accountant)
    page = client.get(reverse("ledger:periods")).content.decode()
    assert reverse("ledger:year_close", args=[2025]) in page
    client.post(reverse("ledger:year_close", args=[2025]))
    closing = JournalEntry.objects.get(source_kind=SOURCE_YEAR_END)
    page = client.get(reverse("ledger:periods")).content.decode()
    assert closing.number in page and reverse("ledger:year_reopen", args=[2025]) in page
    refused = client.post(reverse("ledger:year_reopen", args=[2025]), {"reason": ""}, follow=True)
    assert "Say why the year is reopened." in refused.content.decode()
    client.post(reverse("ledger:year_reopen", args=[2025]), {"reason": "Sai số liệu"})
    assert "Sai số liệu" in client.get(reverse("ledger:periods")).content.decode()
    assert result_balances(as_of=LAST)
