"""The journal and the general ledger page by keyset: each row once, the running balance carried."""

import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger import selectors
from ledger.models import JournalEntry
from tests.ledger.factories import post

pytestmark = pytest.mark.django_db

START = date(2025, 3, 1)


@pytest.fixture
def as_accountant(client, accountant, settings):
    settings.PAGE_SIZE = 4
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(accountant)
    return client


def _post_many(count: int) -> None:
    # Several entries a day, in and out, so pages break inside a day.
    for n in range(count):
        debit, credit = ("1111", "41111") if n % 3 else ("6428", "1111")
        post(
            debit=debit,
            credit=credit,
            amount=1_000_000 + n * 1_000,
            value_date=START + timedelta(days=n // 3),
        )


def _walk(client, url: str, query: dict, forwards: bool = True) -> list:
    """Every page from the first (or the last), following Next (or Previous)."""
    pages, asked = [], {**query, **({} if forwards else {"last": "1"})}
    while True:
        response = client.get(url, asked)
        assert response.status_code == 200
        pages.append(response)
        page = response.context["page"] if "page" in response.context else response.context["detail"].page
        if not (page.has_next if forwards else page.has_previous):
            return pages
        key = "after" if forwards else "before"
        asked = {**query, key: page.last_key if forwards else page.first_key}


def _entries(response) -> list[int]:
    return [entry.pk for entry in response.context["page"]]


def test_the_journal_shows_every_entry_once_across_its_pages_either_way(as_accountant):
    _post_many(11)
    url = reverse("ledger:journal")
    forwards = [pk for response in _walk(as_accountant, url, {}) for pk in _entries(response)]
    newest_first = list(JournalEntry.objects.order_by("-year", "-sequence").values_list("pk", flat=True))
    assert forwards == newest_first
    backwards = [_entries(r) for r in _walk(as_accountant, url, {}, forwards=False)]
    assert [pk for page in reversed(backwards) for pk in page] == newest_first
    first = as_accountant.get(url).content.decode()
    assert "4 shown of 11" in first and "?last=1" in first


def test_the_journal_pages_keep_the_filters(as_accountant):
    _post_many(11)
    url = reverse("ledger:journal")
    pages = _walk(as_accountant, url, {"account": "6428"})
    shown = [pk for response in pages for pk in _entries(response)]
    assert len(shown) == 4 and len(pages) == 1  # entries 0, 3, 6, 9 touch 6428


@pytest.mark.parametrize("key", ["²", "٣", "-1", "x", "9" * 30])
def test_a_page_key_that_is_not_a_row_number_shows_the_first_page(as_accountant, key):
    _post_many(5)
    response = as_accountant.get(reverse("ledger:journal"), {"after": key, "before": key})
    assert response.status_code == 200
    newest = JournalEntry.objects.order_by("-year", "-sequence").values_list("pk", flat=True)
    assert _entries(response) == list(newest[:4])


def _rows(response) -> list:
    return response.context["detail"].rows


def test_the_general_ledger_carries_the_running_balance_from_page_to_page(as_accountant):
    post(debit="1111", credit="41111", amount=50_000_000, value_date=START - timedelta(days=1))
    _post_many(11)
    query = {"account": "1111", "date_from": START.isoformat(), "date_to": "2025-03-31"}
    pages = _walk(as_accountant, reverse("ledger:ledger_detail"), query)
    assert len(pages) == 3
    details = [response.context["detail"] for response in pages]
    assert details[0].opening == D(50_000_000)
    for before, after in zip(details, details[1:], strict=False):
        assert after.opening == before.closing == before.rows[-1].balance
    whole = selectors.ledger_detail(code="1111", date_from=START, date_to=date(2025, 3, 31))
    assert [row for detail in details for row in detail.rows] == whole.rows
    assert details[-1].closing == whole.closing
    assert (details[-1].period_debit, details[-1].period_credit) == (whole.total_debit, whole.total_credit)
    second = pages[1].content.decode()
    assert "Brought forward from the previous page" in second and "4 shown of 11" in second


def test_the_general_ledger_last_page_opens_with_the_balance_before_it(as_accountant):
    _post_many(11)
    query = {"account": "1111", "date_from": START.isoformat(), "date_to": "2025-03-31", "last": "1"}
    last = as_accountant.get(reverse("ledger:ledger_detail"), query).context["detail"]
    whole = selectors.ledger_detail(code="1111", date_from=START, date_to=date(2025, 3, 31))
    assert last.rows == whole.rows[-4:] and last.opening == whole.rows[-5].balance  # the last 4


@pytest.mark.parametrize("name", ["ledger:journal", "ledger:ledger_detail"])
def test_a_page_costs_the_same_queries_for_3_or_30_entries(as_accountant, settings, name):
    settings.PAGE_SIZE = 2
    query = {"account": "1111", "date_from": START.isoformat(), "date_to": "2025-12-31"}
    counts = []
    for count in (3, 30):
        _post_many(count)
        first = as_accountant.get(reverse(name), query)
        key = (first.context["page"] if "page" in first.context else first.context["detail"].page).last_key
        with CaptureQueriesContext(connection) as captured:
            as_accountant.get(reverse(name), {**query, "after": key})
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_long_general_ledger_export_is_written_by_a_task(as_accountant, settings):
    settings.EXPORT_BACKGROUND_ROWS = 5
    _post_many(11)
    query = {"account": "1111", "date_from": START.isoformat(), "date_to": "2025-03-31"}
    response = as_accountant.get(reverse("ledger:ledger_detail_export"), query)
    assert response.status_code == 302 and response.url.startswith(reverse("loans:general_ledger_export"))
    job_page = as_accountant.get(response.url)
    assert job_page.status_code == 302 and re.search(r"/exports/\d+/$", job_page.url)


def test_the_unfiltered_journal_counts_its_entries_from_the_years_counters(as_accountant):
    """Issue 20: no COUNT(*) of every entry on every page; filtered, the count is exact."""
    _post_many(11)
    url = reverse("ledger:journal")
    for query in ({}, {"last": "1"}):
        with CaptureQueriesContext(connection) as captured:
            page = as_accountant.get(url, query).context["page"]
        assert page.count == JournalEntry.objects.count() == 11
        assert not [q["sql"] for q in captured if "COUNT(" in q["sql"] and "ledger_journalentry" in q["sql"]]
    assert as_accountant.get(url, {"account": "6428"}).context["page"].count == 4
