"""The arrears aging, PAR and the debt classification as of a date, hand-worked on a small
portfolio of the example loan (120 000 000 over 12 months at 12 %, 10 000 000 of principal a
month from 15/02/2026): A never pays, B pays each installment on its due date."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from fund.models import Fund
from loans.arrears import (
    GroupLine,
    aging,
    arrears_list,
    as_of_problem,
    classification,
    loans_on,
    month_ends,
    reported,
    trend,
)
from loans.models import ClassificationReport, Collateral
from loans.selectors.position import loan_position
from loans.services.closing.runs import close_until
from tests.loans.conftest import ROW1, ROW2, START, repay, shared_fund_staff_and_bank, staffed_active_loan

pytestmark = pytest.mark.django_db
FEB_END, MAR_END = dt.date(2026, 2, 28), dt.date(2026, 3, 31)
TOTAL = len(GroupLine.FIGURES)
fund, staff, bank = shared_fund_staff_and_bank()  # the portfolio is built once for the module


@pytest.fixture(scope="module")
def portfolio(staff, bank):
    """A (pays nothing) and B (pays rows 1 and 2 on their due dates), closed through 31/03."""
    a = staffed_active_loan(staff, on=START, account=bank, number="HĐ-A")
    b = staffed_active_loan(staff, on=START, account=bank, number="HĐ-B")
    close_until(actor=staff["accountant"], until=dt.date(2026, 2, 16))
    repay(b, staff, dt.date(2026, 2, 15), ROW1)
    close_until(actor=staff["accountant"], until=dt.date(2026, 3, 16))
    repay(b, staff, dt.date(2026, 3, 15), ROW2)
    close_until(actor=staff["accountant"], until=dt.date(2026, 4, 1))
    return a, b


def collateral_of(loan) -> D:
    return sum((c.provisioning_value.amount for c in Collateral.objects.filter(loan=loan)), D(0))


def test_aging_and_par_on_a_month_end(portfolio):
    a, b = portfolio
    report = aging(MAR_END)
    # A: rows 1 (15/02) and 2 (15/03) unpaid, 44 days past due on 31/03: the 31–90 bucket.
    labels = [bucket.label for bucket in report.buckets]
    assert labels == ["1–9", "10–30", "31–90", "91–180", "181–360", "> 360"]
    filled = {bucket.label: bucket for bucket in report.buckets if bucket.loans}
    assert list(filled) == ["31–90"]
    bucket = filled["31–90"]
    assert bucket.loans == 1
    assert bucket.overdue_principal == D(20_000_000)
    assert bucket.overdue_interest == D(1_223_014) + D(1_012_603)
    # Late interest owed on 31/03, to the đồng of a replay of the loan's events.
    replayed = loan_position(a, as_of=MAR_END)
    assert bucket.late_interest == replayed.late_charges > 0
    assert bucket.overdue_principal == replayed.overdue_principal
    assert bucket.overdue_interest == replayed.overdue_interest
    assert bucket.outstanding == D(120_000_000)
    # Gross: A 120 000 000 and B 100 000 000; A is more than 1 and 30 days past due, not 90.
    assert report.gross_outstanding == D(220_000_000)
    assert report.loans == 2
    assert report.par == [
        (1, D(120_000_000), D(120) / D(220)),
        (30, D(120_000_000), D(120) / D(220)),
        (90, D(0), D(0)),
    ]


def test_the_aging_buckets_and_par_days_are_the_funds(portfolio):
    Fund.objects.update(aging_buckets=[1, 45], par_days=[43, 44])
    report = aging(MAR_END)
    assert [(bucket.label, bucket.loans) for bucket in report.buckets] == [("1–44", 1), ("> 44", 0)]
    # "More than n days": 44 days past due is more than 43, not more than 44.
    assert [(days, outstanding) for days, outstanding, _ratio in report.par] == [
        (43, D(120_000_000)),
        (44, D(0)),
    ]


def test_a_report_as_of_a_date_is_unchanged_by_a_later_repayment(portfolio, staff):
    a, _b = portfolio
    before = aging(MAR_END)
    lines_before = [(line.figures.loan_id, line.figures.overdue) for line in arrears_list(MAR_END)]
    classified = [line.figures() for line in classification(MAR_END)]
    close_until(actor=staff["accountant"], until=dt.date(2026, 4, 6))
    repay(a, staff, dt.date(2026, 4, 5), loan_position(a, as_of=dt.date(2026, 4, 5)).to_pay_now)
    assert aging(MAR_END) == before
    assert [(line.figures.loan_id, line.figures.overdue) for line in arrears_list(MAR_END)] == lines_before
    assert [line.figures() for line in classification(MAR_END)] == classified
    # On the day of the repayment, nothing is overdue any more.
    assert aging(dt.date(2026, 4, 5)).total.loans == 0
    # An earlier date: on 20/02, A was 5 days past due (1–9), B had paid.
    early = aging(dt.date(2026, 2, 20))
    assert [
        (bucket.label, bucket.loans, bucket.overdue_principal) for bucket in early.buckets if bucket.loans
    ] == [("1–9", 1, D(10_000_000))]


def test_classification_on_a_month_end_is_frozen_as_reported(portfolio):
    a, b = portfolio
    lines = classification(FEB_END)
    # On 28/02 A was 13 days past due: group 2; B paid row 1: group 1.
    assert [(line.group, line.loans, line.outstanding) for line in lines] == [
        (1, 1, D(110_000_000)),
        (2, 1, D(120_000_000)),
        (3, 0, D(0)),
        (4, 0, D(0)),
        (5, 0, D(0)),
    ]
    group1, group2 = lines[0], lines[1]
    assert group2.specific_required == (D(120_000_000) - collateral_of(a)) * D("0.05")
    assert group1.specific_required == 0
    # General: 0,75 % of groups 1 to 4, each loan rounded.
    assert (group1.general_required, group2.general_required) == (D(825_000), D(900_000))
    # Close of day provisioned 28/02 with these very functions: nothing to book.
    assert [(line.specific_difference, line.general_difference) for line in lines] == [(0, 0)] * 5
    assert group2.collateral == collateral_of(a)
    # Frozen when 28/02 was closed, and the same.
    assert ClassificationReport.objects.filter(month_end=FEB_END).count() == 5
    assert [line.figures() for line in reported(FEB_END)] == [line.figures() for line in lines]
    assert reported(dt.date(2026, 3, 30)) is None  # not a month end: nothing frozen
    total = GroupLine.total(lines)
    assert (total.loans, total.outstanding) == (2, D(230_000_000))


def test_a_backdated_repayment_into_a_closed_month_restates_but_leaves_as_reported(portfolio, staff):
    a, _b = portfolio
    frozen = [line.figures() for line in reported(FEB_END)]
    # A pays what it owed on 27/02, entered on 01/04: February is closed by close of day.
    repay(a, staff, dt.date(2026, 2, 27), loan_position(a, as_of=dt.date(2026, 2, 27)).to_pay_now)
    restated = classification(FEB_END)
    # Restated: A is no longer late on 28/02 — both loans group 1, A owing 110 000 000.
    assert [(line.group, line.loans, line.outstanding) for line in restated if line.loans] == [
        (1, 2, D(220_000_000))
    ]
    # Booked by value date up to 28/02 is unchanged, now beside A's group 1: the difference is
    # what to release.
    booked = (D(120_000_000) - collateral_of(a)) * D("0.05")
    assert (restated[0].specific_booked, restated[0].specific_difference) == (booked, -booked)
    # As reported stays what was reported.
    assert [line.figures() for line in reported(FEB_END)] == frozen
    assert frozen != [line.figures() for line in restated]


def test_arrears_figures_by_loan_and_group(portfolio):
    a, b = portfolio
    on_day = loans_on(MAR_END, arrears_only=False)
    assert set(on_day) == {a.pk, b.pk}
    assert (on_day[a.pk].days, on_day[a.pk].group) == (44, 2)
    assert (on_day[b.pk].days, on_day[b.pk].group, on_day[b.pk].overdue) == (0, 1, 0)
    assert set(loans_on(MAR_END, arrears_only=True)) == {a.pk}


@translation.override("en")
def test_reports_go_from_the_opening_to_the_business_date(fund):
    assert as_of_problem(fund, fund.business_date) is None
    assert "business date" in as_of_problem(fund, fund.business_date + dt.timedelta(days=1))
    assert "opened" in as_of_problem(fund, fund.opened_on - dt.timedelta(days=1))


def test_the_trend_gives_each_month_end_of_the_last_twelve_months(portfolio, django_assert_max_num_queries):
    # A few queries per month end: the balances rows, the products, the fund's borrower rule.
    with django_assert_max_num_queries(3 * 12 + 1):
        points = trend(MAR_END)
    assert [point.day for point in points] == month_ends(MAR_END, 12)
    assert points[0].day == dt.date(2025, 4, 30) and points[-1].day == MAR_END
    assert all(point.gross == 0 and point.par[0][2] == 0 for point in points[:-3])  # before the loans
    jan, feb, mar = points[-3:]
    million = D(1_000_000)
    nothing = dict.fromkeys(range(3, 6), D(0))
    assert jan.outstanding == {1: 240 * million, 2: D(0), **nothing}
    # A is past due from 15/02 (group 2 from its 10th day); B has paid row 1, then row 2.
    assert feb.outstanding == {1: 110 * million, 2: 120 * million, **nothing}
    assert mar.outstanding == {1: 100 * million, 2: 120 * million, **nothing}
    assert feb.loans == mar.loans == {1: 1, 2: 1, 3: 0, 4: 0, 5: 0}
    assert [(days, ratio) for days, _outstanding, ratio in feb.par] == [
        (1, 120 * million / (230 * million)),
        (30, 0),
        (90, 0),
    ]
    assert mar.par == aging(MAR_END).par  # PAR30 on 31/03: A, 44 days past due
    assert mar.par[1][2] == 120 * million / (220 * million)


def test_the_trend_ends_on_its_date_and_not_before_the_fund(portfolio, staff):
    assert [point.day for point in trend(dt.date(2026, 3, 20), months=3)] == [
        FEB_END.replace(month=1, day=31),
        FEB_END,
        dt.date(2026, 3, 20),
    ]
    Fund.objects.update(opened_on=dt.date(2026, 1, 1))
    assert [point.day for point in trend(MAR_END)] == [dt.date(2026, 1, 31), FEB_END, MAR_END]
    # A later repayment leaves the earlier month ends as they were.
    before = trend(MAR_END)
    a, _b = portfolio
    repay(a, staff, dt.date(2026, 4, 1), ROW1)
    assert trend(MAR_END) == before
    assert trend(dt.date(2026, 4, 1))[-1].outstanding[2] < before[-1].outstanding[2]
