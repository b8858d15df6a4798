"""Close of day, worked by hand: each figure below is written out in the test and worked out in
its comment (days × principal × rate / 365, rounded half-up once), never taken from the code.

Close of day D posts with value date D and brings each loan to the morning of D + 1: interest
counts the days from the disbursement (counted) to D + 1 (not counted), late interest the days
from the due date to D + 1; principal unpaid at the end of its due date is overdue from that
close. Default product bands: group 2 from 10 days past due, 3 from 91, 4 from 181, 5 from 361.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fund.models import Fund
from fund.models.fund import AccrualPosting
from ledger.models import JournalEntry
from ledger.selectors import account_balances, chart, trial_balance
from loans.models import CloseOfDay, Collateral, DebtGroupChange, Loan, LoanBalance, LoanTransaction
from loans.models.money import CONTROL_COLUMNS
from loans.selectors.reconciliation import reconciliation
from loans.services.closing.days import close_steps, is_month_end
from loans.services.closing.runs import close_business_day, close_until
from tests.fund.factories import BorrowerFactory
from tests.loans import factories
from tests.loans.conftest import ROW1, START, household_group_loan, move_to, repay, staffed_active_loan

ONE_DAY = dt.timedelta(days=1)
DPD = DebtGroupChange.Reason.DAYS_PAST_DUE
BORROWER = DebtGroupChange.Reason.BORROWER


@pytest.fixture
def later_today(monkeypatch):
    """Today's calendar date far enough ahead for a test to close days into 2027."""
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2027, 12, 31))


def bullet_loan(staff, bank, *, on: dt.date) -> Loan:
    """120 000 000 at 12 %/year for 3 months from `on`: principal and all interest at maturity,
    in one row (a short-term product: 128311 in term, 128312 overdue)."""
    move_to(on)
    product = factories.product(amortization="bullet", principal_frequency=0, interest_frequency=0)
    return staffed_active_loan(
        staff,
        on=on,
        account=bank,
        loan_product=product,
        term_months=3,
    )


def pledge_land(loan: Loan, officer, *, valued_on: dt.date) -> Collateral:
    """Land worth 80 000 000 pledged for the loan, 40 000 000 of it counted for provisioning."""
    return Collateral.objects.create(
        loan=loan,
        type=Collateral.Type.LAND_USE_RIGHT,
        description="Quyền sử dụng đất thửa 12",
        owner="Hợp tác xã",
        valuation=D(80_000_000),
        valued_on=valued_on,
        loan_to_value=D("0.5"),
        provisioning_value=D(40_000_000),
        recorded_by=officer,
    )


def close_through(staff, day: dt.date) -> None:
    """Close every day up to and including `day`."""
    close_until(actor=staff["accountant"], until=day + ONE_DAY)


def entry_net(entry: JournalEntry) -> dict[str, D]:
    """Each account of a journal entry with its debit (+) or credit (−)."""
    net: dict[str, D] = {}
    for code, debit, credit in entry.lines.values_list("account__code", "debit", "credit"):
        net[code] = net.get(code, D(0)) + debit - credit
    return net


def close_entry(day: dt.date, kind: str) -> dict[str, D]:
    """The close of `day`'s journal entries for a step (one per chunk), netted."""
    entries = JournalEntry.objects.filter(
        idempotency_key__startswith="loans:close:", idempotency_key__endswith=f":{day:%Y-%m-%d}:{kind}"
    )
    assert entries, f"no {kind} entry on {day}"
    net: dict[str, D] = {}
    for entry in entries:
        for code, amount in entry_net(entry).items():
            net[code] = net.get(code, D(0)) + amount
    return net


def close_entries(kind: str) -> dict[dt.date, dict[str, D]]:
    """Every close entry of a step, by the day closed."""
    entries = JournalEntry.objects.filter(idempotency_key__endswith=f":{kind}", source_kind="close_of_day")
    days = entries.order_by("value_date").values_list("value_date", flat=True)
    return {day: close_entry(day, kind) for day in days}


def gl(day: dt.date, *codes: str) -> tuple[D, ...]:
    """The accounts' balances (debit − credit) at the end of `day`."""
    balances = account_balances(codes=codes, as_of=day)
    return tuple(balances[code] for code in codes)


def changes(loan) -> list[tuple]:
    return list(
        DebtGroupChange.objects.filter(loan=loan).values_list(
            "changed_on", "from_group", "to_group", "days_past_due", "reason"
        )
    )


def assert_books_agree(day: dt.date) -> None:
    """On `day` every control account's loans' figure is its GL balance, and the books balance."""
    assert {row.code: row.difference for row in reconciliation(as_of=day) if row.difference} == {}, day
    assert trial_balance(as_of=day).balanced, day


def repay_at(loan, staff, day: dt.date, amount: D):
    """A repayment on the business date `day`, the days before it closed first."""
    if Fund.objects.get().business_date < day:
        close_until(actor=staff["accountant"], until=day)
    return repay(Loan.objects.get(pk=loan.pk), staff, day, amount)


# --- one loan, never paid -----------------------------------------------------------------------


def test_a_loan_left_unpaid_for_400_days_through_every_group(fund, staff, bank, later_today):
    # Disbursed 25/01/2026, all of it due 25/04/2026: 120 000 000 and 90 days of interest
    # (7 in January + 28 + 31 + 24): 120 000 000 × 12 % × 90 / 365 = 3 550 684.93 → 3 550 685.
    start, due = dt.date(2026, 1, 25), dt.date(2026, 4, 25)
    loan = bullet_loan(staff, bank, on=start)
    pledge_land(loan, staff["officer"], valued_on=start)
    # 400 days past due on 30/05/2027 (25/04/2026 + 365 + 35): closed through 31/05/2027.
    close_through(staff, dt.date(2027, 5, 31))
    assert Fund.objects.get().business_date == dt.date(2027, 6, 1)

    # Groups on the band days, counted from the due date 25/04/2026: +10 = 05/05; +91 = 25/07
    # (30 + 31 + 30 days to 25/07); +181 = 23/10 (25/07 + 92 = 25/10, less 2); +361 = 21/04/2027
    # (25/04/2027 is +365, less 4).
    assert changes(loan) == [
        (dt.date(2026, 5, 5), 1, 2, 10, DPD),
        (dt.date(2026, 7, 25), 2, 3, 91, DPD),
        (dt.date(2026, 10, 23), 3, 4, 181, DPD),
        (dt.date(2027, 4, 21), 4, 5, 361, DPD),
    ]
    loan.refresh_from_db()
    assert (loan.debt_group, loan.accrual_suspended) == (5, True)

    # Overdue transfer at the close of the due date: in term the day before, overdue the day after.
    assert close_entries("overdue") == {due: {"128312": D(120_000_000), "128311": D(-120_000_000)}}
    assert gl(due - ONE_DAY, "128311", "128312") == (D(120_000_000), D(0))
    assert gl(due + ONE_DAY, "128311", "128312") == (D(0), D(120_000_000))

    # Accrual at each month end while in group 1, rounded once on the running total of days
    # from 25/01 to the next morning (14 400 000 a year = 120 000 000 × 12 %):
    #   31/01:  7 days: 14 400 000 × 7 / 365  =   276 164.38 →   276 164
    #   28/02: 35 days: 14 400 000 × 35 / 365 = 1 380 821.92 → 1 380 822, posted 1 104 658
    #   31/03: 66 days: 14 400 000 × 66 / 365 = 2 603 835.62 → 2 603 836, posted 1 223 014
    #   30/04: the row's 3 550 685 is overdue, posted 3 550 685 − 2 603 836 = 946 849; and
    #          6 days late (25/04–30/04): late interest 120 000 000 × 18 % × 6 / 365 = 355 068.49
    #          → 355 068, interest on unpaid interest 3 550 685 × 10 % × 6 / 365 = 5 836.74
    #          → 5 837: 360 905 to 13882.
    # 05/05, group 2 (non-accrual): all of it reversed from income, the receivables emptied.
    assert close_entries("accrual") == {
        dt.date(2026, 1, 31): {"13881": D(276_164), "5151": D(-276_164)},
        dt.date(2026, 2, 28): {"13881": D(1_104_658), "5151": D(-1_104_658)},
        dt.date(2026, 3, 31): {"13881": D(1_223_014), "5151": D(-1_223_014)},
        dt.date(2026, 4, 30): {
            "13881": D(946_849),
            "13882": D(360_905),
            "5151": D(-946_849),
            "5152": D(-360_905),
        },
        dt.date(2026, 5, 5): {
            "5151": D(3_550_685),
            "5152": D(360_905),
            "13881": D(-3_550_685),
            "13882": D(-360_905),
        },
    }
    assert gl(dt.date(2026, 5, 4), "13881", "13882", "5151", "5152") == (
        D(3_550_685),
        D(360_905),
        D(-3_550_685),
        D(-360_905),
    )
    assert gl(dt.date(2026, 5, 5), "13881", "13882", "5151", "5152") == (D(0),) * 4

    # Suspended interest on the memo (Dr 0043 / Cr 009), late interest from 25/04 to the next
    # morning (18 % on 120 000 000 is 21 600 000 a year; 10 % on 3 550 685 is 355 068.5):
    #   05/05, 11 days: 21 600 000 × 11 / 365 = 650 958.90 → 650 959; 355 068.5 × 11 / 365 =
    #          10 700.69 → 10 701: 661 660, with the interest 3 550 685: 4 212 345.
    #   31/05, 37 days: 21 600 000 × 37 / 365 = 2 189 589.04 → 2 189 589; 355 068.5 × 37 / 365 =
    #          35 993.24 → 35 993: 2 225 582, posted 2 225 582 − 661 660 = 1 563 922.
    #   31/05/2027, 402 days (365 + 37): 21 600 000 × 402 / 365 = 23 789 589.04 → 23 789 589;
    #          355 068.5 × 402 / 365 = 391 061.75 → 391 062: 24 180 651, with the interest
    #          27 731 336.
    suspensions = close_entries("suspension")
    assert suspensions[dt.date(2026, 5, 5)] == {"0043": D(4_212_345), "009": D(-4_212_345)}
    assert suspensions[dt.date(2026, 5, 31)] == {"0043": D(1_563_922), "009": D(-1_563_922)}
    # Month ends only: a suspension on 05/05 (the switch) and on each of the 13 month ends after.
    assert len(suspensions) == 14 and all(day.day >= 28 for day in list(suspensions)[1:])
    end = dt.date(2027, 5, 31)
    assert gl(end, "0043", "009") == (D(27_731_336), D(-27_731_336))
    held = LoanTransaction.objects.filter(loan=loan)
    assert sum(held.values_list("suspended_interest", flat=True)) == D(3_550_685)
    assert sum(held.values_list("suspended_late", flat=True)) == D(24_180_651)
    # Nothing of it was ever income: the income accounts end where they started.
    assert gl(end, "5151", "5152", "13881", "13882") == (D(0),) * 4

    # Provisions at month ends: specific = (120 000 000 − 40 000 000 of collateral) × the group's
    # rate, general 0.75 % × 120 000 000 = 900 000 in groups 1 to 4, nothing in group 5.
    #   31/01 group 1: specific 0, general 900 000
    #   31/05 group 2:  5 % × 80 000 000 =  4 000 000
    #   31/07 group 3: 20 % × 80 000 000 = 16 000 000, posted 12 000 000
    #   31/10 group 4: 50 % × 80 000 000 = 40 000 000, posted 24 000 000
    #   30/04/2027 group 5: 100 % = 80 000 000, posted 40 000 000; general 900 000 released:
    #          Dr 22932 900 000, Dr 6426 39 100 000 / Cr 22931 40 000 000.
    assert close_entries("provision") == {
        dt.date(2026, 1, 31): {"6426": D(900_000), "22932": D(-900_000)},
        dt.date(2026, 5, 31): {"6426": D(4_000_000), "22931": D(-4_000_000)},
        dt.date(2026, 7, 31): {"6426": D(12_000_000), "22931": D(-12_000_000)},
        dt.date(2026, 10, 31): {"6426": D(24_000_000), "22931": D(-24_000_000)},
        dt.date(2027, 4, 30): {"22932": D(900_000), "6426": D(39_100_000), "22931": D(-40_000_000)},
    }
    assert gl(end, "22931", "22932", "6426") == (D(-80_000_000), D(0), D(80_000_000))
    for day in (due, dt.date(2026, 4, 30), dt.date(2026, 5, 5), dt.date(2026, 12, 31), end):
        assert_books_agree(day)


# --- month ends and repayments ------------------------------------------------------------------


def test_a_february_month_end_accrues_its_28_days(fund, staff, bank):
    loan = bullet_loan(staff, bank, on=START)
    close_through(staff, dt.date(2026, 2, 28))
    # 15/01 to 01/02: 17 days: 14 400 000 × 17 / 365 = 670 684.93 → 670 685.
    # 15/01 to 01/03: 45 days: 14 400 000 × 45 / 365 = 1 775 342.47 → 1 775 342; February's
    # accrual is its 28 days (14 400 000 × 28 / 365 = 1 104 657.53), the total rounded once:
    # 1 775 342 − 670 685 = 1 104 657.
    assert close_entries("accrual") == {
        dt.date(2026, 1, 31): {"13881": D(670_685), "5151": D(-670_685)},
        dt.date(2026, 2, 28): {"13881": D(1_104_657), "5151": D(-1_104_657)},
    }
    assert gl(dt.date(2026, 2, 27), "13881") == (D(670_685),)
    assert gl(dt.date(2026, 2, 28), "13881", "5151") == (D(1_775_342), D(-1_775_342))
    (accrued,) = LoanTransaction.objects.filter(loan=loan, value_date=dt.date(2026, 2, 28))
    assert (accrued.kind, accrued.interest_receivable) == (LoanTransaction.Kind.ACCRUAL, D(1_104_657))
    assert_books_agree(dt.date(2026, 2, 28))


def test_a_repayment_in_mid_month_collects_what_was_accrued_and_accrues_the_rest(fund, staff, loan):
    # The example loan (conftest): 120 000 000, 12 equal principal rows, 12 %; row 1 due 15/02 is
    # 10 000 000 + 31 days of interest (14 400 000 × 31 / 365 = 1 223 013.70 → 1 223 014).
    close_through(staff, dt.date(2026, 1, 31))
    # 31/01: 17 days accrued: 14 400 000 × 17 / 365 = 670 684.93 → 670 685.
    assert gl(dt.date(2026, 1, 31), "13881") == (D(670_685),)
    repayment = repay_at(loan, staff, dt.date(2026, 2, 15), ROW1)
    # It collects the 670 685 accrued from 13881, and accrues the other 1 223 014 − 670 685 =
    # 552 329 itself (Dr 13881 / Cr 5151) before collecting it: 13881 is credited net 670 685.
    posted = LoanTransaction.objects.get(repayment=repayment)
    assert entry_net(posted.journal_entry) == {
        "11211": D(11_223_014),
        "128311": D(-10_000_000),
        "13881": D(-670_685),
        "5151": D(-552_329),
    }
    assert (posted.interest.amount, posted.interest_receivable) == (D(1_223_014), D(-670_685))
    assert gl(dt.date(2026, 2, 15), "13881", "5151") == (D(0), D(-1_223_014))
    close_through(staff, dt.date(2026, 2, 28))
    # 28/02 accrues only row 2's interest so far: 110 000 000 × 12 % from 15/02 to 01/03,
    # 14 days: 13 200 000 × 14 / 365 = 506 301.37 → 506 301.
    assert close_entry(dt.date(2026, 2, 28), "accrual") == {"13881": D(506_301), "5151": D(-506_301)}
    assert gl(dt.date(2026, 2, 28), "13881", "5151") == (D(506_301), D(-1_729_315))
    assert_books_agree(dt.date(2026, 2, 28))


def test_a_switch_in_a_new_year_reverses_last_years_accrual_to_expense(fund, staff, bank, later_today):
    # Disbursed 25/10/2026, due 25/01/2027 after 92 days (7 + 30 + 31 + 24):
    # 14 400 000 × 92 / 365 = 3 629 589.04 → 3 629 589.
    loan = bullet_loan(staff, bank, on=dt.date(2026, 10, 25))
    close_through(staff, dt.date(2027, 2, 4))
    # 31/12/2026: 68 days (25/10 to 01/01): 14 400 000 × 68 / 365 = 2 682 739.73 → 2 682 740.
    assert gl(dt.date(2026, 12, 31), "13881") == (D(2_682_740),)
    # 31/01/2027: the row's interest, 3 629 589 (posted 946 849); 7 days late (25/01 to 01/02):
    # 21 600 000 × 7 / 365 = 414 246.58 → 414 247, and 10 % on 3 629 589 unpaid:
    # 362 958.9 × 7 / 365 = 6 960.84 → 6 961: 421 208 to 13882.
    assert gl(dt.date(2027, 1, 31), "13881", "13882") == (D(3_629_589), D(421_208))
    # 04/02/2027, 10 days past due: of the interest reversed, what was accrued in 2026 is no
    # longer this year's income: Dr 6428 2 682 740; this year's to 5151 (946 849) and 5152.
    assert changes(loan) == [(dt.date(2027, 2, 4), 1, 2, 10, DPD)]
    assert close_entry(dt.date(2027, 2, 4), "accrual") == {
        "5151": D(946_849),
        "6428": D(2_682_740),
        "5152": D(421_208),
        "13881": D(-3_629_589),
        "13882": D(-421_208),
    }
    assert_books_agree(dt.date(2027, 2, 4))


def test_within_the_products_days_of_grace_principal_stays_in_term(fund, staff, bank):
    # The example loan (row 1: 10 000 000 + 1 223 014 due 15/02) on a product giving 3 days
    # before unpaid principal is overdue.
    loan = staffed_active_loan(
        staff,
        on=START,
        account=bank,
        loan_product=factories.product(overdue_grace_days=3),
    )
    close_through(staff, dt.date(2026, 2, 18))
    # Unpaid at the end of 15/02 + 3 days: overdue from the close of 18/02, not before; days
    # past due still count from the due date.
    assert close_entries("overdue") == {
        dt.date(2026, 2, 18): {"128312": D(10_000_000), "128311": D(-10_000_000)}
    }
    assert gl(dt.date(2026, 2, 17), "128311", "128312") == (D(120_000_000), D(0))
    close_through(staff, dt.date(2026, 2, 25))
    assert changes(loan) == [(dt.date(2026, 2, 25), 1, 2, 10, DPD)]


def test_a_repayment_within_the_days_of_grace_takes_the_principal_from_the_in_term_account(fund, staff, bank):
    loan = staffed_active_loan(
        staff,
        on=START,
        account=bank,
        loan_product=factories.product(overdue_grace_days=3),
    )
    # Row 1 paid 2 days late, on 17/02, within the grace: with late interest on 10 000 000 at
    # 18 % for 2 days (1 800 000 × 2 / 365 = 9 863.01 → 9 863) and 10 % on 1 223 014
    # (122 301.4 × 2 / 365 = 670.15 → 670): 11 233 547. Its principal was never moved to the
    # overdue account; the 31/01 accrual (17 days: 670 685) is collected, the rest accrued.
    repayment = repay_at(loan, staff, dt.date(2026, 2, 17), D(11_233_547))
    assert entry_net(LoanTransaction.objects.get(repayment=repayment).journal_entry) == {
        "11211": D(11_233_547),
        "128311": D(-10_000_000),
        "13881": D(-670_685),
        "5151": D(-552_329),
        "5152": D(-10_533),
    }
    close_through(staff, dt.date(2026, 2, 28))
    assert close_entries("overdue") == {}
    day = START
    while day <= dt.date(2026, 2, 28):
        assert gl(day, "128312") == (D(0),), day
        assert_books_agree(day)
        day += ONE_DAY


def test_a_loan_repaid_in_full_has_its_provision_released_at_the_month_end(fund, staff, loan):
    close_through(staff, dt.date(2026, 1, 31))  # 670 685 accrued (17 days), 900 000 general
    # Repaid in full on 10/02: 120 000 000 and 26 days of interest (15/01 to 10/02):
    # 14 400 000 × 26 / 365 = 1 025 753.42 → 1 025 753, of which 670 685 was accrued.
    repayment = repay_at(loan, staff, dt.date(2026, 2, 10), D(121_025_753))
    assert entry_net(LoanTransaction.objects.get(repayment=repayment).journal_entry) == {
        "11211": D(121_025_753),
        "128311": D(-120_000_000),
        "13881": D(-670_685),
        "5151": D(-355_068),
    }
    assert Loan.objects.get(pk=loan.pk).status == "closed"
    close_through(staff, dt.date(2026, 2, 28))
    assert close_entries("provision")[dt.date(2026, 2, 28)] == {"22932": D(900_000), "6426": D(-900_000)}
    held = LoanTransaction.objects.filter(loan=loan)
    assert {name: sum(held.values_list(name, flat=True)) for name in CONTROL_COLUMNS} == dict.fromkeys(
        CONTROL_COLUMNS, D(0)
    )
    assert_books_agree(dt.date(2026, 2, 28))


# --- a borrower's loans -------------------------------------------------------------------------


def two_loans(staff, bank) -> tuple[Loan, Loan]:
    """Two loans of one borrower like the example loan (conftest), both on START."""
    borrower = BorrowerFactory()
    return tuple(
        staffed_active_loan(
            staff,
            on=START,
            account=bank,
            borrower=borrower,
            number=number,
        )
        for number in ("HĐ-01/2026", "HĐ-02/2026")
    )


@pytest.mark.parametrize("worst_of_borrower", [True, False])
def test_a_borrowers_loans_take_the_worse_group_and_go_back_when_the_late_one_is_paid(
    fund, staff, bank, worst_of_borrower
):
    Fund.objects.update(worst_group_per_borrower=worst_of_borrower)
    late, on_time = two_loans(staff, bank)
    repay_at(on_time, staff, dt.date(2026, 2, 15), ROW1)
    close_through(staff, dt.date(2026, 2, 25))
    # The late loan's row 1 (due 15/02) is 10 days past due on 25/02.
    assert changes(late) == [(dt.date(2026, 2, 25), 1, 2, 10, DPD)]
    assert changes(on_time) == ([(dt.date(2026, 2, 25), 1, 2, 0, BORROWER)] if worst_of_borrower else [])
    assert Loan.objects.get(pk=on_time.pk).accrual_suspended == worst_of_borrower
    if worst_of_borrower:
        # The switch of both on 25/02: the late loan's 31/01 accrual (17 days: 670 685) reversed;
        # the on-time one's was collected by its repayment. On the memo, as of 26/02:
        # - both: row 2's interest from 15/02 on 110 000 000, 11 days: 13 200 000 × 11 / 365 =
        #   397 808.22 → 397 808;
        # - the late loan: row 1's interest 1 223 014, its late interest on 10 000 000 at 18 %,
        #   11 days: 1 800 000 × 11 / 365 = 54 246.58 → 54 247, and 10 % on 1 223 014 unpaid:
        #   122 301.4 × 11 / 365 = 3 685.79 → 3 686.
        # 397 808 × 2 + 1 223 014 + 54 247 + 3 686 = 2 076 563.
        assert close_entry(dt.date(2026, 2, 25), "accrual") == {"5151": D(670_685), "13881": D(-670_685)}
        assert close_entry(dt.date(2026, 2, 25), "suspension") == {"0043": D(2_076_563), "009": D(-2_076_563)}

    # The late loan pays everything overdue on 02/03: row 1, 15 days of late interest
    # (1 800 000 × 15 / 365 = 73 972.60 → 73 973) and of interest on its interest
    # (122 301.4 × 15 / 365 = 5 026.08 → 5 026): 11 302 013.
    repayment = repay_at(late, staff, dt.date(2026, 3, 2), D(11_302_013))
    if worst_of_borrower:
        # In non-accrual, its interest is income when paid, released from the memo as far as
        # the memo holds it (brought up to 01/03 at 28/02: late 14 days 1 800 000 × 14 / 365 =
        # 69 041.10 → 69 041, and 122 301.4 × 14 / 365 = 4 691.01 → 4 691: 73 732 of the
        # 78 999 paid; the other 5 267 straight to income): Dr 009 / Cr 0043
        # 1 223 014 + 73 732 = 1 296 746.
        assert entry_net(LoanTransaction.objects.get(repayment=repayment).journal_entry) == {
            "11211": D(11_302_013),
            "128312": D(-10_000_000),
            "5151": D(-1_223_014),
            "5152": D(-78_999),
            "009": D(1_296_746),
            "0043": D(-1_296_746),
        }
    close_through(staff, dt.date(2026, 3, 2))
    back = [(dt.date(2026, 3, 2), 2, 1, 0, DPD)]
    assert changes(late)[1:] == back
    assert changes(on_time)[1:] == (back if worst_of_borrower else [])
    assert not Loan.objects.filter(accrual_suspended=True).exists()
    assert set(Loan.objects.values_list("debt_group", flat=True)) == {1}
    assert_books_agree(dt.date(2026, 3, 2))


# --- the same books however the days are run ----------------------------------------------------


def gl_by_account(day: dt.date) -> dict[str, D]:
    """The trial balance on `day`: each postable account's balance, but those at zero."""
    return {row.code: row.balance for row in chart(as_of=day) if row.postable and row.balance}


def run_in_savepoint(scenario):
    """`scenario()`'s answer, everything it wrote rolled back."""
    with transaction.atomic():
        answer = scenario()
        transaction.set_rollback(True)
    return answer


def test_daily_and_month_end_posting_give_the_same_books_at_each_month_end(fund, staff, loan):
    month_ends = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]

    def scenario(posting):
        def run():
            Fund.objects.update(accrual_posting=posting)
            repay_at(loan, staff, dt.date(2026, 2, 15), ROW1)  # on time, mid-month
            # Row 2 (due 15/03) left unpaid: overdue, group 2 on 25/03, then part paid in April.
            repay_at(loan, staff, dt.date(2026, 4, 10), D(5_000_000))
            close_through(staff, month_ends[-1])
            accruals = JournalEntry.objects.filter(idempotency_key__endswith=":accrual").count()
            return [gl_by_account(day) for day in month_ends], accruals

        return run

    month_end, accruals_month_end = run_in_savepoint(scenario(AccrualPosting.MONTH_END))
    daily, accruals_daily = run_in_savepoint(scenario(AccrualPosting.DAILY))
    assert daily == month_end
    assert month_end[-1]["0043"] > 0 and month_end[-1]["128312"] > 0  # the months were eventful
    # Month end: 31/01, 28/02 and the switch (25/03; in non-accrual only the memo moves);
    # daily: every day to the switch.
    assert accruals_month_end == 3 and accruals_daily > 60


def snapshot() -> dict:
    """Everything close of day writes, without ids: GL per account on every day closed, the
    sub-ledger, the stored balances rows, the group changes and the days closed."""
    closed = list(
        CloseOfDay.objects.order_by("business_date").values_list("business_date", "loans", "postings")
    )
    controls = ("kind", "value_date", "booking_date", "amount", "principal", *CONTROL_COLUMNS)
    row_fields = [f.attname for f in LoanBalance._meta.concrete_fields if f.attname not in ("id", "loan_id")]
    return {
        "closed": closed,
        "gl": [gl_by_account(day) for day, _loans, _postings in closed],
        "sub-ledger": sorted(
            LoanTransaction.objects.values_list("loan__contract__number", "share__member_id", *controls),
            key=str,
        ),
        "balances": sorted(
            LoanBalance.objects.values_list("loan__contract__number", *row_fields).exclude(), key=str
        ),
        "groups": sorted(
            DebtGroupChange.objects.values_list(
                "loan__contract__number", "changed_on", "from_group", "to_group", "days_past_due", "reason"
            ),
            key=str,
        ),
    }


def test_a_40_day_catch_up_is_40_single_days(fund, staff, bank, loan):
    # The example loan and a household group's, both with row 1 due 15/02 left unpaid: in the
    # 40 days from 05/02 rows fall due and go overdue, the loans reach group 2 (25/02) and
    # there is a month end (28/02).
    household_group_loan(staff, bank, D(30_000_000), D(20_000_000), number="HĐ-02/2026")
    close_until(actor=staff["accountant"], until=dt.date(2026, 2, 5))
    end = dt.date(2026, 3, 17)
    assert (end - dt.date(2026, 2, 5)).days == 40

    def catch_up():
        assert len(close_until(actor=staff["accountant"], until=end)) == 40
        return snapshot()

    def day_by_day():
        for _day in range(40):
            close_business_day(actor=staff["accountant"])
        return snapshot()

    caught_up = run_in_savepoint(catch_up)
    assert run_in_savepoint(day_by_day) == caught_up
    assert len(caught_up["closed"]) == 21 + 40 and len(caught_up["groups"]) == 2


def test_closing_a_day_again_posts_nothing_new(fund, staff, bank, loan):
    household_group_loan(staff, bank, D(30_000_000), D(20_000_000), number="HĐ-02/2026")
    # 25/02: both loans reach group 2 (the switch); 28/02: a month end.
    for day in (dt.date(2026, 2, 25), dt.date(2026, 2, 28)):
        close_until(actor=staff["accountant"], until=day)
        fund = Fund.objects.get()
        again = close_steps(fund, day, actor=staff["accountant"], full=is_month_end(day))
        assert again.postings > 0 and again.loans == 2
        before = snapshot() | {"entries": JournalEntry.objects.count()}
        twice = close_steps(fund, day, actor=staff["accountant"], full=is_month_end(day))
        assert (twice.postings, twice.loans) == (0, 2)
        assert snapshot() | {"entries": JournalEntry.objects.count()} == before


# --- a back-dated repayment ---------------------------------------------------------------------


def test_a_back_dated_repayment_on_a_closed_day_is_booked_on_the_next_day_closed(fund, staff, loan):
    # The example loan, row 1 (due 15/02) unpaid: overdue from its close, group 2 on 25/02.
    close_through(staff, dt.date(2026, 3, 1))
    assert Loan.objects.get(pk=loan.pk).accrual_suspended
    # As of 01/03 (28/02's close) the memo holds row 1's interest 1 223 014, row 2's so far
    # (110 000 000 × 12 % from 15/02, 14 days: 13 200 000 × 14 / 365 = 506 301.37 → 506 301),
    # late interest (1 800 000 × 14 / 365 = 69 041.10 → 69 041) and 10 % on the unpaid
    # interest (122 301.4 × 14 / 365 = 4 691.01 → 4 691): 1 729 315 and 73 732.
    assert gl(dt.date(2026, 2, 28), "0043", "128312") == (D(1_803_047), D(10_000_000))

    # On 02/03 the transfer dated 15/02 that paid row 1 on time is found and entered.
    repayment = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    posted = LoanTransaction.objects.get(repayment=repayment)
    assert (posted.value_date, posted.booking_date) == (dt.date(2026, 2, 15), dt.date(2026, 3, 2))
    # Paid on its due date: principal from the in-term account; the loan is in non-accrual, so
    # its interest is income now, released from the memo.
    assert entry_net(posted.journal_entry) == {
        "11211": ROW1,
        "128311": D(-10_000_000),
        "5151": D(-1_223_014),
        "009": D(1_223_014),
        "0043": D(-1_223_014),
    }
    close_through(staff, dt.date(2026, 3, 2))
    # Replayed, the loan was never late: the next close moves the principal back in term,
    # the loan back to group 1 and accruing, ...
    assert close_entry(dt.date(2026, 3, 2), "overdue") == {"128311": D(10_000_000), "128312": D(-10_000_000)}
    assert changes(loan) == [(dt.date(2026, 2, 25), 1, 2, 10, DPD), (dt.date(2026, 3, 2), 2, 1, 0, DPD)]
    assert not Loan.objects.get(pk=loan.pk).accrual_suspended
    # ... releases the late interest the loan no longer owes (73 732) from the memo, and keeps
    # on it the interest owed so far, accrued while the loan was in non-accrual (income only
    # when paid): row 2's interest to 03/03, 16 days: 13 200 000 × 16 / 365 = 578 630.14 →
    # 578 630, that is 578 630 − 506 301 = 72 329 more; accrual restarts the next day.
    assert close_entry(dt.date(2026, 3, 2), "suspension") == {"009": D(73_732 - 72_329), "0043": D(-1_403)}
    assert not JournalEntry.objects.filter(idempotency_key__endswith=":2026-03-02:accrual").exists()
    assert gl(dt.date(2026, 3, 2), "0043", "13881", "128312") == (D(578_630), D(0), D(0))
    day = START
    while day <= dt.date(2026, 3, 2):
        assert_books_agree(day)
        day += ONE_DAY


# --- the page -----------------------------------------------------------------------------------


def test_the_close_of_day_page_shows_the_plan_runs_it_and_refuses_beyond_today(
    client, fund, staff, loan, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 2, 1))
    url = reverse("loans:close_of_day")
    client.force_login(staff["officer"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"until": "2026-01-20"}).status_code == 403
    client.force_login(staff["accountant"])

    shown = client.get(url, {"until": "2026-02-01"})
    plan = shown.context["plan"]
    # 15/01 to 31/01 closed: 17 days, one month end, the one active loan.
    assert (plan.first, plan.until, plan.days, plan.month_ends, plan.active_loans) == (
        START,
        dt.date(2026, 2, 1),
        17,
        1,
        1,
    )
    assert not CloseOfDay.objects.exists()  # showing the plan runs nothing

    refused = client.post(url, {"until": "2026-02-02"})
    assert refused.status_code == 400 and "until" in refused.context["form"].errors
    assert Fund.objects.get().business_date == START and not CloseOfDay.objects.exists()

    assert client.post(url, {"until": "2026-01-20"}).status_code == 302
    assert Fund.objects.get().business_date == dt.date(2026, 1, 20)
    assert CloseOfDay.objects.count() == 5


def test_the_close_of_day_page_links_to_the_fund_and_its_calendar(client, fund, staff):
    client.force_login(staff["accountant"])
    page = client.get(reverse("loans:close_of_day")).content.decode()
    assert reverse("fund:fund_detail") in page and reverse("fund:calendar") in page
