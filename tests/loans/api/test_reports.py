"""The reports as of a date through the API: the pages' selectors' figures, the pages' checks of
the date (field by field, translated), who may see them, and the arrears list in pages."""

import datetime as dt

import pytest

from ledger.selectors import period_trial_balance
from loans.arrears import aging, arrears_list, as_of_problem, classification, trend
from loans.portfolio import expected, flows, holdings
from loans.services.closing.runs import close_until
from tests.loans.api.conftest import english, session, token_client
from tests.loans.conftest import START

LATER = dt.date(2026, 3, 20)  # two installments past due on the example loan


@pytest.fixture
def overdue(loan, staff):
    close_until(actor=staff["accountant"], until=LATER)
    return loan


def get(client, report, **query):
    return client.get(f"/api/v1/reports/{report}/", query)


def test_aging_classification_and_trend_are_the_selectors_figures(staff, overdue):
    client = token_client(staff["officer"])
    body = get(client, "aging", as_of=LATER.isoformat()).json()
    report = aging(LATER)
    assert body["as_of"] == LATER.isoformat() and body["loans"] == report.loans == 1
    assert body["gross_outstanding"] == str(report.gross_outstanding) == "120000000"
    assert [b["overdue"] for b in body["buckets"]] == [str(b.overdue) for b in report.buckets]
    assert body["total"]["overdue_principal"] == str(report.total.overdue_principal)
    assert [(p["days"], p["outstanding"]) for p in body["par"]] == [(d, str(o)) for d, o, _r in report.par]

    groups = get(client, "classification").json()  # by default the business date
    lines = classification(LATER)
    assert groups["as_of"] == LATER.isoformat()
    assert [line["outstanding"] for line in groups["restated"]] == [str(line.outstanding) for line in lines]
    assert groups["restated_total"]["specific_required"] == str(sum(line.specific_required for line in lines))
    assert groups["reported"] is None and groups["differs"] is False

    points = get(client, "trend", as_of=LATER.isoformat()).json()["points"]
    expected_points = trend(LATER)
    assert [p["day"] for p in points] == [point.day.isoformat() for point in expected_points]
    assert [p["gross"] for p in points] == [str(point.gross) for point in expected_points]


def test_portfolio_due_and_trial_balance_are_the_selectors_figures(staff, overdue):
    client = token_client(staff["officer"])
    body = get(client, "portfolio", **{"as_of": LATER.isoformat(), "from": START.isoformat()}).json()
    held = holdings(LATER)
    assert body["start"] == START.isoformat() and body["outstanding"] == str(held.outstanding)
    assert [line["outstanding"] for line in body["by"]["product"]] == [
        str(line.outstanding) for line in held.by["product"]
    ]
    assert [flow["disbursed"] for flow in body["flows"]] == [str(f.disbursed) for f in flows(START, LATER)]

    due = get(client, "due", as_of=START.isoformat(), days=90, weekly="true").json()
    periods = expected(START, 90, weekly=True)
    assert [(p["first"], p["total"]) for p in due["periods"]] == [
        (p.first.isoformat(), str(p.total)) for p in periods
    ]
    assert due["total"] == str(sum(p.total for p in periods)) and due["days"] == 90

    balance = client.get("/api/v1/reports/trial-balance/", {"as_of": LATER.isoformat()}).json()
    books = period_trial_balance(start=LATER.replace(day=1), end=LATER)
    assert balance["start"] == "2026-03-01" and balance["balanced"] is books.balanced is True
    assert [row["code"] for row in balance["sections"][0]["rows"]] == [
        row.code for row in books.sections[0].rows
    ]
    assert balance["sections"][0]["totals"]["closing_debit"] == str(books.sections[0].totals["closing_debit"])


def test_the_arrears_list_comes_in_pages_with_the_lists_figures(staff, overdue):
    client = session(staff["officer"])
    body = get(client, "arrears", as_of=LATER.isoformat(), limit=1).json()
    lines = arrears_list(LATER)
    assert body["count"] == len(lines) == 1
    line = body["results"][0]
    assert line["loan"] == overdue.pk and line["reference"] == overdue.reference
    assert line["days_past_due"] == lines[0].figures.days > 0
    # The borrower's type as the filter takes it (its code), not the page's translated label.
    assert line["borrower_type"] == overdue.borrower.type
    assert line["overdue"] == str(lines[0].figures.overdue)
    assert get(client, "arrears", as_of=LATER.isoformat(), days_from=400).json()["count"] == 0
    refused = get(client, "arrears", days_from=30, days_to=10, sort="nonsense")
    assert refused.status_code == 400 and set(refused.json()["fields"]) == {"days_to", "sort"}


def test_a_date_the_page_refuses_is_a_400_on_the_field_in_the_requests_language(staff, fund, loan):
    client = token_client(staff["officer"])
    after = START + dt.timedelta(days=1)
    refused = get(client, "aging", as_of=after.isoformat())
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"as_of": [as_of_problem(fund, after)]}
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "vi"
    in_vietnamese = get(client, "aging", as_of=after.isoformat()).json()["fields"]["as_of"]
    assert in_vietnamese != refused.json()["fields"]["as_of"]
    english(client)
    assert set(get(client, "trend", as_of="31/01/2026").json()["fields"]) == {"as_of"}
    started_late = get(client, "portfolio", **{"as_of": START.isoformat(), "from": "2026-02-01"})
    assert started_late.status_code == 400 and set(started_late.json()["fields"]) == {"from"}
    assert get(client, "due", days=0).status_code == 400
    assert set(client.get("/api/v1/reports/trial-balance/", {"from": "x"}).json()["fields"]) == {"from"}


REPORTS = ["aging", "arrears", "classification", "portfolio", "due", "trend", "trial-balance"]


@pytest.mark.parametrize("report", REPORTS)
def test_a_coop_user_sees_no_report(loan, coop_of, report):
    refused = get(session(coop_of(loan.borrower)), report)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
