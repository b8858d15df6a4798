"""A full day's loans that only accrue and provision are decided set-based
(`loans.services.closing.batched`): the books are what the loan-by-loan path writes, to the đồng.

Each example builds a portfolio (loans of several products, rates and day counts, some with two
roles on one account, collateral, some of it released before the month end, some paid on time,
some left overdue, borrowers with more than one loan, a household group's),
closes up to a month end, then closes the month end twice, each rolled back: as close of day
runs it, and with no loan decided set-based. The sub-ledger, the GL, the stored rows, the group
changes and the days' counts must be the same.
"""

import datetime as dt
from decimal import Decimal as D
from unittest import mock

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fund.models import Fund, LoanProduct
from loans.domain.daycount import BASES
from loans.models import Collateral, Loan, LoanBalance
from loans.services.closing import batched
from tests.fund.factories import BorrowerFactory
from tests.loans import factories
from tests.loans.conftest import START, household_group_loan, move_to, repay, staffed_active_loan
from tests.loans.test_close_of_day import assert_books_agree, close_through, run_in_savepoint, snapshot

ONE_DAY = dt.timedelta(days=1)
MONTH_ENDS = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
RATES = [D("0"), D("0.05"), D("0.2"), D("0.5"), D("1")]
# A product whose two roles post to one account, the first taking the second's: the set-based
# entry must net them per loan as the posting rules net a loan's legs.
SHARED = [
    None,
    ("general_provision_account", "specific_provision_account"),
    ("late_interest_receivable_account", "interest_receivable_account"),
    ("late_interest_income_account", "interest_income_account"),
]

loans = st.lists(
    st.fixed_dictionaries(
        {
            "amount": st.integers(10_000_000, 900_000_000),
            "rate": st.sampled_from([D("0.066"), D("0.0795"), D("0.12")]),
            "day_count": st.sampled_from(sorted(BASES)),
            "general": st.sampled_from([D("0.0075"), D("0.01")]),
            "group1": st.sampled_from([D("0"), D("0.01")]),  # a group 1 loan's specific provision moves
            "group2": st.sampled_from(RATES),
            "shared": st.sampled_from(SHARED),
            "collateral": st.integers(0, 300_000_000),
            # Its collateral released on the month end's eve: its specific provision rises as its
            # general one falls (paid), the two moves of one account, when they share it, netted.
            "released": st.booleans(),
            "pays": st.booleans(),  # its installments due by the month end paid on time
            "borrower": st.integers(0, 2),  # loans drawing the same number share a borrower
        }
    ),
    min_size=2,
    max_size=5,
)


def pledge(loan, officer, value: D) -> None:
    Collateral.objects.create(
        loan=loan,
        type=Collateral.Type.LAND_USE_RIGHT,
        description="Quyền sử dụng đất",
        owner="Hợp tác xã",
        valuation=value * 2,
        valued_on=START,
        loan_to_value=D("0.5"),
        provisioning_value=value,
        recorded_by=officer,
    )


def due_by(loan_ids: list[int], day: dt.date) -> dict:
    """The current rows of the loans with an installment due by `day`, and what it asks."""
    rows = LoanBalance.objects.filter(
        loan_id__in=loan_ids, share__isnull=True, valid_to__isnull=True, next_due_date__lte=day
    )
    return {row: row.next_due_amount.amount for row in rows}


# A loan paid on time whose collateral is released: on one provision account, the specific
# provision's rise and the general one's fall net to one credit.
MIXED = {
    "amount": 120_000_000,
    "rate": D("0.12"),
    "day_count": "actual_365",
    "general": D("0.0075"),
    "group1": D("0.01"),
    "group2": D("0.05"),
    "collateral": 60_000_000,
    "released": True,
    "pays": True,
}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(
    drawn=[MIXED | {"shared": SHARED[1], "borrower": 0}, MIXED | {"shared": None, "borrower": 1}],
    month_end=MONTH_ENDS[1],
    non_accrual=3,
    worst_of_borrower=False,
    households=[],
)
@given(
    drawn=loans,
    month_end=st.sampled_from(MONTH_ENDS),
    non_accrual=st.integers(2, 5),
    worst_of_borrower=st.booleans(),
    # No household group's loan, or one of 2 or 3 households (the product lends 10 000 000 at least).
    households=st.one_of(st.just([]), st.lists(st.integers(5_000_000, 50_000_000), min_size=2, max_size=3)),
)
def test_set_based_and_loan_by_loan_month_ends_write_the_same_books(
    fund, staff, bank, drawn, month_end, non_accrual, worst_of_borrower, households
):
    with transaction.atomic():
        move_to(START)
        Fund.objects.update(non_accrual_from_group=non_accrual, worst_group_per_borrower=worst_of_borrower)
        borrowers = [BorrowerFactory() for _ in range(3)]
        made = []
        for number, terms in enumerate(drawn):
            product = factories.product(
                annual_rate=terms["rate"],
                day_count=terms["day_count"],
                general_provision_rate=terms["general"],
                provision_rate_group1=terms["group1"],
                provision_rate_group2=terms["group2"],
            )
            if terms["shared"]:
                role, taken = terms["shared"]
                LoanProduct.objects.filter(pk=product.pk).update(
                    **{f"{role}_id": getattr(product, f"{taken}_id")}
                )
                product.refresh_from_db()
            loan = staffed_active_loan(
                staff,
                on=START,
                account=bank,
                loan_product=product,
                amount=D(terms["amount"]),
                borrower=borrowers[terms["borrower"]],
                number=f"HĐ-{number}/2026",
            )
            if terms["collateral"]:
                pledge(loan, staff["officer"], D(terms["collateral"]))
            made.append((loan, terms["pays"]))
        if households:  # a household group's loan, never paid: its sub-loans summed
            household_group_loan(staff, bank, *map(D, households), number="HĐ-N/2026")
        paying = [loan.pk for loan, pays in made if pays]
        while due := due_by(paying, month_end):  # each installment paid on its due date
            day = min(row.next_due_date for row in due)
            close_through(staff, day - ONE_DAY)
            for row, owed in due.items():
                if row.next_due_date == day:
                    repay(Loan.objects.get(pk=row.loan_id), staff, day, owed)
        close_through(staff, month_end - ONE_DAY)
        released = [loan for (loan, _pays), terms in zip(made, drawn, strict=True) if terms["released"]]
        Collateral.objects.filter(loan__in=released).update(provisioning_value=0)

        taken = []

        def set_based():
            plain = batched.plain

            def spied(*args, **kwargs):
                answer = plain(*args, **kwargs)
                taken.append(len(answer.loan_ids))
                return answer

            with mock.patch.object(batched, "plain", spied):
                close_through(staff, month_end)
            assert_books_agree(month_end)
            return snapshot()

        def none(fund, day, loan_ids, **kwargs):
            return batched.Batched(day, set())

        def loan_by_loan():
            with mock.patch.object(batched, "plain", none):
                close_through(staff, month_end)
            return snapshot()

        assert run_in_savepoint(set_based) == run_in_savepoint(loan_by_loan)
        # Loans paid on time and alone with their borrower at least are decided set-based.
        borrowers = [loan.borrower_id for loan, _pays in made]
        alone = [loan for loan, pays in made if pays and borrowers.count(loan.borrower_id) == 1]
        assert sum(taken) > 0 or not alone
        transaction.set_rollback(True)
