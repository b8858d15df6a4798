"""The portfolio summary close of day writes (`loans.services.closing.summaries`): read by the
portfolio report and the home page for a closed day, it gives what the balances rows give, to
the đồng, through repayments, loans falling overdue, a back-dated repayment, a reversal, a
restructuring and a write-off; an event that changes a closed day drops that day's summary."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fund.models import Borrower, Fund
from loans import dashboard, portfolio
from loans.models import LoanTransaction, PortfolioDue, PortfolioSummary, Repayment
from loans.portfolio import Flow
from loans.selectors.balances import balances_as_of
from loans.selectors.position import loan_position
from loans.selectors.summaries import edited_since, usable, usable_from
from loans.services import actions
from loans.services.closing.runs import close_until
from loans.services.closing.summaries import write_summary
from loans.services.risk import apply_write_off
from loans.services.servicing.repayments import reverse_repayment
from loans.templatetags.loan_reports import portfolio_overview
from tests.loans.conftest import ROW1, START, repay, staffed_active_loan
from tests.loans.test_portfolio_reports import paid_out
from tests.loans.test_restructuring import people  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
FEB15, FEB17, FEB20, MAR1, MAR10 = (
    dt.date(2026, month, day) for month, day in ((2, 15), (2, 17), (2, 20), (3, 1), (3, 10))
)


@pytest.fixture
def later_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2027, 12, 31))


@pytest.fixture
def loans(people, bank, later_today):  # noqa: F811 (people: a fixture)
    """A never pays; B, a cooperative group's in another district, pays row 1 on its due date;
    C, over 24 months, pays late (`test_portfolio_reports.paid_out`); W is written off. The
    staff get an approver of any amount and a second officer (`people`)."""
    a, b, c = paid_out(people, bank)
    return a, b, c, staffed_active_loan(people, on=START, account=bank, number="HĐ-W")


def summary_agrees(day: dt.date, staff, monkeypatch) -> None:
    """The portfolio report's holdings of `day` and what falls due after it from its summary,
    for every loan and by each filter a summary answers, are those computed from the balances
    rows and the schedules."""
    assert usable(day)
    filters = [None, Q(loan__borrower__type="tht"), Q(loan__created_by=staff["officer"])]
    filters += [
        Q(loan__product=pk) for pk in PortfolioSummary.objects.values_list("product", flat=True).distinct()
    ]
    for loans in filters:
        with CaptureQueriesContext(connection) as queries:
            summed = portfolio.holdings(day, loans=loans)
            due = portfolio.expected(day, PortfolioDue.DAYS, loans)
        assert not any(
            table in query["sql"] for query in queries.captured_queries for table in ("balance", "schedule")
        )
        with monkeypatch.context() as live:
            live.setattr(portfolio, "usable", lambda day: False)
            assert summed == portfolio.holdings(day, loans=loans)
            assert due == portfolio.expected(day, PortfolioDue.DAYS, loans)


def flows_agree(staff, monkeypatch) -> None:
    """What was disbursed and collected over each period of summarised days (a day, and from
    the first summarised day or the month's first to it), for every loan and by each filter a
    summary answers, summed from the days' summaries, is what the loan transactions give."""
    days = sorted(set(PortfolioSummary.objects.values_list("day", flat=True)))
    periods = {(start, day) for day in days for start in (day, days[0], day.replace(day=1))}
    periods = sorted(period for period in periods if usable_from(*period))
    assert periods
    products = PortfolioSummary.objects.values_list("product", flat=True).distinct()
    filters = [None, Q(loan__borrower__type="tht"), Q(loan__created_by=staff["officer"])]
    money = D(0)
    for start, end in periods:
        for loans in [*filters, *(Q(loan__product=pk) for pk in products)]:
            with CaptureQueriesContext(connection) as queries:
                summed = portfolio.flows(start, end, loans=loans)
            assert not any(
                LoanTransaction._meta.db_table in query["sql"] for query in queries.captured_queries
            )
            with monkeypatch.context() as live:
                live.setattr(portfolio, "usable_from", lambda *period: False)
                assert summed == portfolio.flows(start, end, loans=loans)
            money += Flow.total(summed).disbursed + Flow.total(summed).collected
    assert money > 0


def overview_agrees(closed) -> None:
    """Right after its close, the home page's point of the day from its summary is the one the
    rows valid that day give, with the debt groups the close has just set."""
    fund = Fund.objects.get()
    summed = dashboard.portfolio_overview(closed.business_date, par_days=fund.par_days)[-1]
    rows = balances_as_of(closed.business_date)
    assert summed == dashboard.day_point(closed.business_date, par_days=fund.par_days, rows=rows)


def test_the_summary_of_each_closed_day_is_what_the_rows_give(loans, staff, monkeypatch):
    a, b, c, w = loans
    accountant = staff["accountant"]
    close_until(actor=accountant, until=FEB15, progress=overview_agrees)
    paid = repay(b, staff, FEB15, ROW1)  # on its due date
    close_until(actor=accountant, until=FEB20, progress=overview_agrees)
    assert Fund.objects.get().business_date == FEB20
    # A fell overdue on 16/02: the summary's arrears are the rows'.
    assert PortfolioSummary.objects.filter(day=FEB17, oldest_unpaid_due_date=FEB15).exists()
    for day in (FEB15, FEB17):
        summary_agrees(day, staff, monkeypatch)
    flows_agree(staff, monkeypatch)

    # Back-dated: C pays on 20/02 what it owed on 17/02. The days closed from 17/02 summed
    # the rows as they were: their summaries go, the days before keep theirs.
    repay(c, staff, FEB17, loan_position(c, as_of=FEB17).to_pay_now)
    assert not PortfolioSummary.objects.filter(day__gte=FEB17).exists()
    assert usable(FEB17 - dt.timedelta(days=1))
    assert not usable_from(START, FEB17)
    flows_agree(staff, monkeypatch)
    # A reversal of B's repayment of 15/02: from that day on.
    reverse_repayment(actor=accountant, repayment=Repayment.objects.get(pk=paid.pk), reason="Sai tài khoản")
    assert not PortfolioSummary.objects.filter(day__gte=FEB15).exists()
    summary_agrees(FEB15 - dt.timedelta(days=1), staff, monkeypatch)
    flows_agree(staff, monkeypatch)

    close_until(actor=accountant, until=MAR1, progress=overview_agrees)
    # A restructured (extended by 6 months) and W written off, on the business date 01/03.
    action = actions.request_action(
        actor=staff["officer2"], loan=a, kind="extension", payload={"months": 6}, reason="Mất mùa"
    )
    actions.approve_action(actor=staff["approver"], action=action, note="Đồng ý")
    apply_write_off(actor=staff["approver"], loan=w)
    repay(c, staff, MAR1, D(5_000_000))  # late: late interest collected too
    close_until(actor=accountant, until=MAR10, progress=overview_agrees)
    owed = PortfolioSummary.objects.filter(product=w.product_id, owing=True)
    assert owed.filter(day=MAR1 - dt.timedelta(days=1)).exists() and not owed.filter(day=MAR1).exists()
    # Every day that has a summary, as the rows now say.
    days = sorted(set(PortfolioSummary.objects.values_list("day", flat=True)))
    assert days[0] == START and days[-1] == MAR10 - dt.timedelta(days=1)
    for day in days:
        summary_agrees(day, staff, monkeypatch)
    flows_agree(staff, monkeypatch)


def test_a_day_summed_again_is_the_same(loans, staff):
    close_until(actor=staff["accountant"], until=START + dt.timedelta(days=2))
    first = list(
        PortfolioSummary.objects.filter(day=START).values_list("product", "loans", "principal_in_term")
    )
    assert write_summary(START) == len(first) > 0
    assert sorted(
        PortfolioSummary.objects.filter(day=START).values_list("product", "loans", "principal_in_term")
    ) == sorted(first)


def test_the_pages_show_the_last_close_and_the_business_date_when_asked(client, loans, staff):
    client.force_login(staff["accountant"])
    url = reverse("loans:portfolio_report")
    # Nothing closed yet: the business date, from the rows.
    response = client.get(url)
    assert (response.context["as_of"], response.context["at_close"]) == (START, False)
    close_until(actor=staff["accountant"], until=FEB15)
    closed = FEB15 - dt.timedelta(days=1)
    response = client.get(url)
    assert (response.context["as_of"], response.context["at_close"]) == (closed, True)
    assert response.context["holdings"].loans == 4
    response = client.get(url, {"as_of": FEB15.isoformat()})
    assert (response.context["as_of"], response.context["at_close"]) == (FEB15, False)
    overview = portfolio_overview()
    assert (overview["as_of"], overview["closed"]) == (closed, True)
    # A borrower edited since the close may have moved: the day is computed from the rows.
    Borrower.objects.filter(pk=loans[1].borrower_id).get().save()
    assert not usable(closed)
    assert portfolio_overview()["as_of"] == FEB15


def test_whether_a_borrower_changed_since_the_summary_is_found_on_an_index():
    """Asked on every report and home page: by the borrowers' `updated_at` index, not a read of
    every borrower (on PostgreSQL, as its planner would on a province's borrowers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = edited_since(timezone.now()).explain()
    assert "fund_borrower_updated_idx" in plan
