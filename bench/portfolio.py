"""Synthetic portfolios for the benchmarks: a fund, its products and N active loans, built fast.

The loans are what the services would have made — contract, authorized tranche posted to the
ledger, sub-ledger line, schedule version, balances row — but written in bulk (posting through
`ledger.services.post_entries`), because building 100 000 loans one request at a time would
take longer than the benchmarks themselves. Used by the benchmarks only; never by the app.

`build`: N identical loans paid out the same day. `build_shaped`: a province's portfolio, its
installments falling due on every day of the month, 5 % of it overdue in every debt band, its
books brought to a business date by the project's own close of day.
"""

import calendar
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.db import transaction

from bench.processes import seconds_together
from fund import accounting
from fund.models import Borrower, Frequency, Fund, LoanProduct, User
from fund.services import create_product, set_up_fund
from ledger.models import Account
from ledger.services import EntryDraft, post_entries, post_entry
from loans import queries
from loans.domain.engine import Balance, LoanTerms, Row, Tranche, replay
from loans.models import (
    CloseOfDay,
    Disbursement,
    Loan,
    LoanBalance,
    LoanContract,
    LoanStatus,
    LoanTransaction,
    Repayment,
    ScheduleRow,
    ScheduleVersion,
)
from loans.replaying import fund_calendar
from loans.services.closing.runs import close_business_day
from loans.services.servicing.balances import balance_row
from loans.services.servicing.repayments import RepaymentInput, record_repayment
from loans.services.servicing.settling import schedule_fingerprint, schedule_row_values

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


def fund_and_product(user: User, *, opened_on: date = START) -> LoanProduct:
    """The fund (set up on `opened_on`, its capital in the bank that day) and the BENCH product."""
    if not Fund.objects.exists():
        set_up_fund(
            actor=user,
            fields={
                "name": "Quỹ thử tải",
                "legal_form": Fund.LegalForm.COOP_PROVINCIAL,
                "province": "Thái Bình",
                "charter_capital": Decimal(10**14),
            },
            business_date=opened_on,
            lending_accounts=Account.objects.filter(code__in=["1111", "11211", "11212"]),
        )
        post_entry(
            EntryDraft(
                value_date=min(opened_on, date(2026, 1, 2)),
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
    return _product(user, "BENCH", "Trung hạn")


def _product(user: User, code: str, name: str, *, frequency: int = Frequency.MONTHLY) -> LoanProduct:
    product = LoanProduct.objects.filter(code=code).first()
    return product or create_product(
        actor=user,
        fields={
            "code": code,
            "name": name,
            "purpose": "Thử tải",
            "borrower_types": [Borrower.Type.COOPERATIVE],
            "amount_min": Decimal(1_000_000),
            "amount_max": Decimal(10**12),
            "term_min_months": 13,
            "term_max_months": 60,
            "annual_rate": RATE,
            "principal_frequency": frequency,
            "interest_frequency": frequency,
        },
    )


@dataclass
class Schedule:
    """A loan as built: its terms, and its schedule and balances on the day it is paid out."""

    product: LoanProduct
    start: date
    amount: Decimal
    term: int
    rows: list[Row]
    fingerprint: str
    balance: Balance

    @cached_property
    def row_values(self) -> list[dict]:
        """Its `ScheduleRow`s' values but the version's and position."""
        return [schedule_row_values(r) for r in self.rows]


def schedule(product: LoanProduct, start: date, amount: Decimal, term: int) -> Schedule:
    terms = LoanTerms.of_product(
        product, annual_rate=product.annual_rate, term_months=term, calendar=fund_calendar()
    )
    result = replay(
        terms, tranches=[Tranche("t", start, amount)], payments=[], as_of=start, balances_from=start
    )
    (balance,) = result.balances
    return Schedule(product, start, amount, term, result.rows, schedule_fingerprint(result.rows), balance)


def build(count: int) -> list[int]:
    """Make `count` active loans of 360 million for 36 months from 15/01/2026; return their ids."""
    user = bench_user()
    same = schedule(fund_and_product(user), START, AMOUNT, TERM)
    return _built(user, [same] * count)


def _built(user: User, schedules: list[Schedule]) -> list[int]:
    """The loans of `schedules`, one each, in batches of BATCH (a transaction each); their ids."""
    ids = []
    for first in range(0, len(schedules), BATCH):
        with transaction.atomic():
            ids += _batch(user, schedules[first : first + BATCH])
    return ids


# --- a province's portfolio ----------------------------------------------------------------

DAY = date(2026, 11, 30)  # a month end: the close of day bench closes it, then 01/12, an ordinary day
OVERDUE_SHARE = Decimal("0.05")
QUARTERLY_SHARE = Decimal("0.10")
BACKDATED_SHARE = Decimal("0.005")
TERMS = (18, 24, 36, 48, 60)  # months: medium term, whole quarters
VARIANTS = 3  # amount and term pairs a day's loans come in: each distinct schedule is replayed once


@dataclass(frozen=True)
class Shape:
    """A shaped portfolio standing on business date `day`: every day before it closed."""

    day: date
    loan_ids: list[int]
    quarterly_ids: list[int]
    overdue_ids: list[int]  # paid nothing since they were paid out; their debt bands taken in turn
    schedules: int  # distinct schedules replayed to build it
    catch_up: CloseOfDay  # the one close of day that booked what the loans' history holds
    catch_up_seconds: float


def build_shaped(count: int, *, day: date = DAY) -> Shape:
    """A province's portfolio of `count` active loans, its books standing on business date `day`.

    - About 90 % monthly loans, paid out on the 30 days before `day`, and 10 % quarterly loans,
      paid out on the 90 days before it: about count / 30 loans fall due on each day from `day`
      on. Their first installment is still ahead, so they need no repayments (the bench closes
      `day` and the day after; the loans falling due then and paying nothing are late payers).
    - 5 % overdue: monthly loans paid out 1 to 25 months before `day` that paid nothing since, their
      days past due on `day` spread evenly over each debt band of the product (1–9, 10–90, 91–180,
      181–360, 361–720 days with the usual bands), so the days that follow cross every band.
    - Amounts of 100 to 900 million and terms of 18 to 60 months, in VARIANTS pairs a day: each
      distinct schedule (about 1 200 whatever the size) is replayed once and shared by its loans.

    Written in bulk (`_batch`), then the fund's business date is set to the day before `day` and
    that day closed once by the project's own close of day (the first close looks at every loan):
    the overdue transfers, interest accrued, debt groups, non-accrual are booked by the real code.
    Provisions wait for the next month end. The back-dated repayments of a day are
    `backdate_repayments`, recorded on the day being closed.
    """
    user = bench_user()
    monthly = fund_and_product(user, opened_on=day - timedelta(days=1_000))
    quarterly = _product(user, "BENCH-Q", "Trung hạn, trả hằng quý", frequency=Frequency.QUARTERLY)
    overdue_bands = _overdue_bands(monthly)
    n_overdue, n_quarterly = round(count * OVERDUE_SHARE), round(count * QUARTERLY_SHARE)
    kinds = {
        "monthly": [
            (monthly, day - timedelta(days=30 - j % 30)) for j in range(count - n_overdue - n_quarterly)
        ],
        "quarterly": [(quarterly, day - timedelta(days=90 - j % 90)) for j in range(n_quarterly)],
        "overdue": [
            (monthly, _month_before(day - timedelta(days=dpd)))
            for dpd in _days_past_due(n_overdue, overdue_bands)
        ],
    }
    # Interleaved, each kind evenly over the ids: a chunk of ids is a slice of the whole portfolio.
    order = sorted(
        ((j + 0.5) / len(loans), kind, j) for kind, loans in kinds.items() for j in range(len(loans))
    )
    cache: dict[tuple, Schedule] = {}
    schedules, kind_of = [], []
    for position, (_key, kind, j) in enumerate(order):
        product, start = kinds[kind][j]
        amount, term = _variant(start, position % VARIANTS)
        key = (product.pk, start, amount, term)
        if key not in cache:
            cache[key] = schedule(product, start, amount, term)
        schedules.append(cache[key])
        kind_of.append(kind)
    Fund.objects.update(business_date=day - timedelta(days=1))  # the value dates are all before it
    ids = _built(user, schedules)
    started = time.perf_counter()
    catch_up = close_business_day(actor=user)
    catch_up_seconds = time.perf_counter() - started
    by_kind = {kind: [pk for pk, of in zip(ids, kind_of, strict=True) if of == kind] for kind in kinds}
    return Shape(
        day=day,
        loan_ids=ids,
        quarterly_ids=by_kind["quarterly"],
        overdue_ids=by_kind["overdue"],
        schedules=len(cache),
        catch_up=catch_up,
        catch_up_seconds=catch_up_seconds,
    )


def backdate_repayments(
    shape: Shape, *, share: Decimal = BACKDATED_SHARE, days_back: int = 3
) -> list[Repayment]:
    """`share` of the portfolio's loans, overdue ones not repaid yet taken evenly over the bands,
    each repaying 5 million dated `days_back` days before the business date, recorded on it by the
    repayment service: the close of the business date replays them and books what they changed."""
    user = bench_user()
    on = Fund.objects.get().business_date
    repaid = set(Repayment.objects.values_list("loan_id", flat=True))
    unpaid = [pk for pk in shape.overdue_ids if pk not in repaid]
    wanted = min(len(unpaid), max(1, round(len(shape.loan_ids) * share)))
    loans = Loan.objects.in_bulk([unpaid[i * len(unpaid) // wanted] for i in range(wanted)])
    entry = RepaymentInput(
        value_date=on - timedelta(days=days_back),
        amount=Decimal(5_000_000),
        channel=Repayment.Channel.BANK_TRANSFER,
    )
    return [record_repayment(actor=user, loan=loan, entry=entry) for loan in loans.values()]


def pay_installments_due(shape: Shape, *, processes: int = 1) -> int:
    """The performing loans' installments falling due on the business date, each paid on it in
    full by the repayment service, as borrowers who pay on time do (the overdue 5 % do not);
    in `processes` processes at once, each paying its share. Returns how many were paid."""
    on = Fund.objects.get().business_date
    due = LoanBalance.objects.filter(valid_to__isnull=True, next_due_date=on).exclude(
        loan_id__in=shape.overdue_ids
    )
    amounts = sorted((pk, amount) for pk, amount in due.values_list("loan_id", "next_due_amount") if amount)
    if processes == 1:
        _pay(amounts, on)
    else:
        shares = [amounts[i::processes] for i in range(processes)]
        seconds_together(lambda share: lambda: _pay(share, on), shares)
    return len(amounts)


def _pay(amounts: list[tuple[int, Decimal]], on: date) -> None:
    user = bench_user()
    loans = Loan.objects.in_bulk([pk for pk, _amount in amounts])
    for pk, amount in amounts:
        record_repayment(
            actor=user,
            loan=loans[pk],
            entry=RepaymentInput(value_date=on, amount=amount, channel=Repayment.Channel.BANK_TRANSFER),
        )


def _overdue_bands(product: LoanProduct) -> list[tuple[int, int]]:
    """Days past due from and to, for each debt band: group 1's from 1 day, group 5's to twice its start."""
    return [
        (max(start, 1), end if end is not None else 2 * start - 1)
        for _group, start, end in product.debt_group_bands
    ]


def _days_past_due(count: int, bands: list[tuple[int, int]]) -> list[int]:
    """`count` days past due, the bands taken in turn, spread evenly within each band."""
    per_band = [len(range(b, count, len(bands))) for b in range(len(bands))]
    return [
        low + (j // len(bands)) * (high - low + 1) // per_band[j % len(bands)]
        for j in range(count)
        for low, high in [bands[j % len(bands)]]
    ]


def _variant(start: date, variant: int) -> tuple[Decimal, int]:
    """One of the amount and term pairs of the loans paid out on `start`: 100 to 900 million, 18 to
    60 months."""
    seed = start.toordinal() * VARIANTS + variant
    return Decimal(100_000_000 * (1 + seed * 7 % 9)), TERMS[seed % len(TERMS)]


def _month_before(day: date) -> date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _batch(user: User, schedules: list[Schedule]) -> list[int]:
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
        for i in range(len(schedules))
    )
    loans = Loan.objects.bulk_create(
        Loan(
            borrower=b,
            product=s.product,
            status=LoanStatus.ACTIVE,
            amount=s.amount,
            term_months=s.term,
            purpose="Thử tải",
            approved_amount=s.amount,
            approved_term_months=s.term,
            approved_rate=s.product.annual_rate,
            created_by=user,
            submitted_on=s.start,
            decided_on=s.start,
        )
        for b, s in zip(borrowers, schedules, strict=True)
    )
    LoanContract.objects.bulk_create(
        LoanContract(
            loan=loan,
            number=f"BENCH-{loan.pk}",
            signed_on=s.start,
            amount=s.amount,
            term_months=s.term,
            annual_rate=s.product.annual_rate,
            signed_by=user,
            **LoanContract.product_terms(s.product),
        )
        for loan, s in zip(loans, schedules, strict=True)
    )
    bank = Account.objects.get(code="11211")
    tranches = Disbursement.objects.bulk_create(
        Disbursement(
            loan=loan,
            value_date=s.start,
            amount=s.amount,
            account=bank,
            status=Disbursement.Status.AUTHORIZED,
            recorded_by=user,
            decided_by=user,
        )
        for loan, s in zip(loans, schedules, strict=True)
    )
    gl = {s.product.pk: accounting.gl_map(s.product) for s in {s.product.pk: s for s in schedules}.values()}
    entries = post_entries(
        [
            EntryDraft(
                value_date=s.start,
                memo=f"Giải ngân {t.loan_id}",
                idempotency_key=f"loans:disbursement:{t.pk}",
                source_kind="disbursement",
                lines=accounting.lines(
                    accounting.Disbursement(s.amount, paid_from="11211", contract=""), gl[s.product.pk]
                ),
            )
            for t, s in zip(tranches, schedules, strict=True)
        ],
        created_by=user,
    )
    LoanTransaction.objects.bulk_create(
        LoanTransaction(
            loan_id=t.loan_id,
            kind=LoanTransaction.Kind.DISBURSEMENT,
            value_date=s.start,
            booking_date=s.start,
            amount=s.amount,
            principal=s.amount,
            interest=0,
            late_interest=0,
            penalty=0,
            disbursement=t,
            journal_entry=e,
        )
        for t, e, s in zip(tranches, entries, schedules, strict=True)
    )
    versions = ScheduleVersion.objects.bulk_create(
        ScheduleVersion(
            loan=loan,
            number=1,
            effective_date=s.start,
            reason=ScheduleVersion.Reason.DISBURSEMENT,
            fingerprint=s.fingerprint,
        )
        for loan, s in zip(loans, schedules, strict=True)
    )
    # Schedule rows by the million cost more as instances than to write: COPY on PostgreSQL.
    queries.insert_many(
        ScheduleRow,
        [
            {"version_id": v.pk, "position": position, **row}
            for v, s in zip(versions, schedules, strict=True)
            for position, row in enumerate(s.row_values)
        ],
    )
    LoanBalance.objects.bulk_create(
        balance_row(loan.pk, None, s.balance, valid_to=None) for loan, s in zip(loans, schedules, strict=True)
    )
    return [loan.pk for loan in loans]
