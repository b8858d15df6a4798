"""A synthetic portfolio for the benchmarks: a fund, a product and N active loans, built fast.

The loans are what the services would have made — contract, authorized tranche posted to the
ledger, sub-ledger line, schedule version, balances row — but written in bulk (posting through
`ledger.services.post_entries`), because building 100 000 loans one request at a time would
take longer than the benchmarks themselves. Used by the benchmarks only; never by the app.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from fund import accounting
from fund.models import Borrower, Fund, LoanProduct, User
from fund.services import create_product, set_up_fund
from ledger.models import Account
from ledger.services import EntryDraft, post_entries, post_entry
from loans.domain.engine import LoanTerms, Tranche, replay
from loans.models import (
    Disbursement,
    Loan,
    LoanBalance,
    LoanContract,
    LoanStatus,
    LoanTransaction,
    ScheduleRow,
    ScheduleVersion,
)
from loans.replaying import fund_calendar
from loans.services.servicing.balances import balance_row
from loans.services.servicing.settling import schedule_fingerprint

START = date(2026, 1, 15)
AMOUNT = Decimal(360_000_000)
TERM = 36
RATE = Decimal("0.066")
BATCH = 2_000


def bench_user() -> User:
    user, _created = User.objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def fund_and_product(user: User) -> LoanProduct:
    if not Fund.objects.exists():
        set_up_fund(
            actor=user,
            fields={
                "name": "Quỹ thử tải",
                "legal_form": Fund.LegalForm.COOP_PROVINCIAL,
                "province": "Thái Bình",
                "charter_capital": Decimal(10**14),
            },
            business_date=START,
            lending_accounts=Account.objects.filter(code__in=["1111", "11211", "11212"]),
        )
        post_entry(
            EntryDraft(
                value_date=date(2026, 1, 2),
                memo="Vốn",
                idempotency_key="bench:capital",
                lines=accounting.lines(
                    accounting.CapitalReceipt(
                        amount=Decimal(10**14), received_into="11211", capital_account="41111"
                    )
                ),
            ),
            created_by=user,
        )
    product = LoanProduct.objects.filter(code="BENCH").first()
    return product or create_product(
        actor=user,
        fields={
            "code": "BENCH",
            "name": "Trung hạn",
            "purpose": "Thử tải",
            "borrower_types": [Borrower.Type.COOPERATIVE],
            "amount_min": Decimal(1_000_000),
            "amount_max": Decimal(10**12),
            "term_min_months": 13,
            "term_max_months": 60,
            "annual_rate": RATE,
        },
    )


def build(count: int) -> list[int]:
    """Make `count` active loans of 360 million for 36 months from 15/01/2026; return their ids."""
    user = bench_user()
    product = fund_and_product(user)
    terms = LoanTerms.of_product(product, annual_rate=RATE, term_months=TERM, calendar=fund_calendar())
    result = replay(
        terms, tranches=[Tranche("t", START, AMOUNT)], payments=[], as_of=START, balances_from=START
    )
    rows, (balance,) = result.rows, result.balances
    fingerprint = schedule_fingerprint(rows)
    ids = []
    for first in range(0, count, BATCH):
        with transaction.atomic():
            ids += _batch(min(BATCH, count - first), user, product, rows, fingerprint, balance)
    return ids


def _batch(size: int, user, product, rows, fingerprint, balance) -> list[int]:
    offset = Borrower.objects.count()
    borrowers = Borrower.objects.bulk_create(
        Borrower(
            type=Borrower.Type.COOPERATIVE,
            name=f"HTX thử tải {offset + i}",
            registration_number=f"B{offset + i}",
            tax_code=f"{9000000000 + offset + i}",
            province="Thái Bình",
            district="Vũ Thư",
            commune="Tân Lập",
            representative="Nguyễn Văn A",
            phone="0912345678",
            sector=Borrower.Sector.CROPS,
            member_count=20,
            founded_on=date(2015, 1, 1),
        )
        for i in range(size)
    )
    loans = Loan.objects.bulk_create(
        Loan(
            borrower=b,
            product=product,
            status=LoanStatus.ACTIVE,
            amount=AMOUNT,
            term_months=TERM,
            purpose="Thử tải",
            approved_amount=AMOUNT,
            approved_term_months=TERM,
            approved_rate=RATE,
            created_by=user,
            submitted_on=START,
            decided_on=START,
        )
        for b in borrowers
    )
    LoanContract.objects.bulk_create(
        LoanContract(
            loan=loan,
            number=f"BENCH-{loan.pk}",
            signed_on=START,
            amount=AMOUNT,
            term_months=TERM,
            annual_rate=RATE,
            amortization=product.amortization,
            principal_frequency=product.principal_frequency,
            interest_frequency=product.interest_frequency,
            day_count=product.day_count,
            overdue_multiplier=product.overdue_multiplier,
            unpaid_interest_rate=product.unpaid_interest_rate,
            allocation_order=product.allocation_order,
            signed_by=user,
        )
        for loan in loans
    )
    bank = Account.objects.get(code="11211")
    tranches = Disbursement.objects.bulk_create(
        Disbursement(
            loan=loan,
            value_date=START,
            amount=AMOUNT,
            account=bank,
            status=Disbursement.Status.AUTHORIZED,
            recorded_by=user,
            decided_by=user,
        )
        for loan in loans
    )
    gl = accounting.gl_map(product)
    entries = post_entries(
        [
            EntryDraft(
                value_date=START,
                memo=f"Giải ngân {t.loan_id}",
                idempotency_key=f"loans:disbursement:{t.pk}",
                source_kind="disbursement",
                lines=accounting.lines(accounting.Disbursement(AMOUNT, paid_from="11211", contract=""), gl),
            )
            for t in tranches
        ],
        created_by=user,
    )
    LoanTransaction.objects.bulk_create(
        LoanTransaction(
            loan_id=t.loan_id,
            kind=LoanTransaction.Kind.DISBURSEMENT,
            value_date=START,
            booking_date=START,
            amount=AMOUNT,
            principal=AMOUNT,
            interest=0,
            late_interest=0,
            penalty=0,
            disbursement=t,
            journal_entry=e,
        )
        for t, e in zip(tranches, entries, strict=True)
    )
    versions = ScheduleVersion.objects.bulk_create(
        ScheduleVersion(
            loan=loan,
            number=1,
            effective_date=START,
            reason=ScheduleVersion.Reason.DISBURSEMENT,
            fingerprint=fingerprint,
        )
        for loan in loans
    )
    ScheduleRow.objects.bulk_create(
        (
            ScheduleRow(
                version=v,
                position=p,
                kind=ScheduleRow.Kind.SCHEDULED,
                number=r.number,
                due_date=r.due_date,
                period_start=r.period_start,
                interest_from=r.interest_from,
                principal=r.principal,
                interest=r.interest,
                opening_principal=r.opening_principal,
            )
            for v in versions
            for p, r in enumerate(rows)
        ),
        batch_size=5_000,
    )
    LoanBalance.objects.bulk_create(balance_row(loan.pk, None, balance, valid_to=None) for loan in loans)
    return [loan.pk for loan in loans]
