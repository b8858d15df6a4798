"""What the close of a day posts: for each loan, the difference between what it owes at the end
of the day and what its sub-ledger holds, step by step, as the posting rules say.

Each step posts the day's loans in one journal entry (its lines summed by account; the detail
is one sub-ledger row per loan, `LoanTransaction`). Posting the difference from what is booked
makes each step idempotent (run again, it finds nothing to post) and lets a back-dated event's
effect on a closed day be booked on the day closed next.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.money import ZERO, format_vnd
from fund import accounting
from fund.accounting import Booked
from ledger.drafts import EntryDraft, Line
from ledger.services import post_entries
from loans import queries
from loans.models import LoanTransaction
from loans.models.closing import POSTING_STEPS
from loans.models.money import control_values
from loans.queries import ServicedLoan
from loans.services.closing.batched import Batched
from loans.services.closing.positions import DayEnd

Kind = LoanTransaction.Kind
# Each step's entry memo, the steps in the order they post (`POSTING_STEPS`, as DESIGN.md's
# "Close of day and scale" orders them).
_MEMOS = {
    Kind.OVERDUE: gettext_lazy("Close of day %(date)s: unpaid principal moved to overdue"),
    Kind.ACCRUAL: gettext_lazy("Close of day %(date)s: interest accrued"),
    Kind.SUSPENSION: gettext_lazy("Close of day %(date)s: suspended interest (off-balance)"),
    Kind.PROVISION: gettext_lazy("Close of day %(date)s: loan-loss provisions"),
}
STEPS = {Kind(step): _MEMOS[Kind(step)] for step in POSTING_STEPS}


@dataclass(frozen=True)
class Decision:
    """What the close decided for a loan, beside its position: what its books must show."""

    accruing: bool  # interest is income (not in non-accrual)
    post_interest: bool  # receivable and memo brought to what is owed (month end, daily, switch, correction)
    provisions: tuple[Decimal, Decimal] | None  # specific and general, when today provisions


@dataclass
class DayPostings:
    """The day's postings, loan by loan, per step; `post` writes them."""

    day: date
    key: str = "loans:close"  # the entries' idempotency keys start with it, then the day and step
    steps: dict = field(default_factory=lambda: defaultdict(list))

    def add_loan(self, loan: ServicedLoan, end: DayEnd, booked: Booked, decision: Decision) -> None:
        contract = loan.contract.number
        if end.outstanding != booked.principal + booked.overdue_principal:
            # The sub-ledger no longer follows the loan's events: stop the day rather than post on it.
            raise ValidationError(
                _(
                    "The books of loan %(loan)s do not agree with its events (principal %(owed)s owed, "
                    "%(booked)s booked): it is left out of the close. Run manage.py reconcile and ask "
                    "the administrator."
                )
                % {
                    "loan": loan.reference,
                    "owed": format_vnd(end.outstanding),
                    "booked": format_vnd(booked.principal + booked.overdue_principal),
                }
            )
        self._add(
            Kind.OVERDUE,
            loan,
            accounting.OverdueTransfer(end.overdue_principal - booked.overdue_principal, contract),
        )
        if decision.post_interest:
            self._add_interest(loan, end, booked, decision)
        if decision.provisions is not None:
            self.add_provisions(loan, booked, *decision.provisions)

    def add_provisions(self, loan: ServicedLoan, booked: Booked, specific: Decimal, general: Decimal) -> None:
        """The loan's provisions brought from what is booked to `specific` and `general`."""
        change = accounting.Provision(
            specific - booked.specific_provision, general - booked.general_provision, loan.contract.number
        )
        self._add(Kind.PROVISION, loan, change)

    def _add_interest(self, loan: ServicedLoan, end: DayEnd, booked: Booked, decision: Decision) -> None:
        """Receivable and memo brought to what is owed: all of it on the memo in non-accrual;
        otherwise on the receivable, but for what is still suspended from before (released only
        when paid, never brought back to income)."""
        owed = {"interest": end.interest, "late_interest": end.late_interest}
        if decision.accruing:
            suspended = {
                "interest": min(booked.suspended_interest, owed["interest"]),
                "late_interest": min(booked.suspended_late, owed["late_interest"]),
            }
        else:
            suspended = owed
        receivable = {kind: owed[kind] - suspended[kind] for kind in owed}
        change = {
            "interest": receivable["interest"] - booked.interest_receivable,
            "late_interest": receivable["late_interest"] - booked.late_interest_receivable,
        }
        prior = prior_year_parts(loan.pk, self.day, change) if min(change.values()) < 0 else {}
        contract = loan.contract.number
        self._add(
            Kind.ACCRUAL,
            loan,
            accounting.Accrual(
                interest=change["interest"],
                late_interest=change["late_interest"],
                contract=contract,
                prior_year_interest=prior.get("interest", ZERO),
                prior_year_late_interest=prior.get("late_interest", ZERO),
            ),
        )
        self._add(
            Kind.SUSPENSION,
            loan,
            accounting.Suspension(
                interest=suspended["interest"] - booked.suspended_interest,
                late_interest=suspended["late_interest"] - booked.suspended_late,
                contract=contract,
            ),
        )

    def _add(self, kind: str, loan: ServicedLoan, event) -> None:
        if not any(value for value in vars(event).values() if isinstance(value, Decimal)):
            return  # nothing moves (most loans, most steps, most days)
        moved = accounting.legs(event, loan.gl)
        controls = accounting.controls(event, loan.gl, moved=moved)
        if any(controls.values()):
            self.steps[kind].append((loan.pk, controls, accounting.lines(event, loan.gl, moved=moved)))

    @property
    def count(self) -> int:
        return sum(len(postings) for postings in self.steps.values())

    def summed(self, kind: str, batched: Batched | None = None) -> list[Line]:
        """The lines one step's entry would have: its loans' lines (and `batched`'s) summed by account."""
        lines = [line for _loan, _controls, lines in self.steps[kind] for line in lines]
        return _summed([*lines, *(batched.lines.get(kind, []) if batched else [])])

    def post(self, *, actor, batched: Batched | None = None) -> None:
        """One entry per step with postings, and each loan's sub-ledger row pointing at it;
        with `batched`, its loans' too (`batched.Batched.write`)."""
        kinds = [kind for kind in STEPS if self.steps[kind] or (batched and batched.counts.get(kind))]
        drafts = [
            EntryDraft(
                value_date=self.day,
                memo=str(STEPS[kind]) % {"date": f"{self.day:%d/%m/%Y}"},
                lines=self.summed(kind, batched),
                idempotency_key=f"{self.key}:{self.day:%Y-%m-%d}:{kind}",
                source_kind="close_of_day",
            )
            for kind in kinds
        ]
        entries = post_entries(drafts, created_by=actor)
        queries.insert_many(
            LoanTransaction,
            [
                {
                    "loan_id": loan_id,
                    "kind": kind,
                    "value_date": self.day,
                    "booking_date": self.day,
                    "amount": sum((line.debit for line in lines), ZERO),
                    "principal": controls["principal"] + controls["overdue_principal"],
                    "interest": ZERO,
                    "late_interest": ZERO,
                    "penalty": ZERO,
                    "journal_entry_id": entry.pk,
                    **control_values(controls),
                }
                for kind, entry in zip(kinds, entries, strict=True)
                for loan_id, controls, lines in self.steps[kind]
            ],
        )
        if batched is not None:
            batched.write({kind: entry.pk for kind, entry in zip(kinds, entries, strict=True)})


def _summed(lines: list[Line]) -> list[Line]:
    """The loans' lines summed per account and side (debits first), by account code."""
    debits: dict[str, Decimal] = defaultdict(Decimal)
    credits: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.debit:
            debits[line.account] += line.debit
        else:
            credits[line.account] += line.credit
    return [Line(account=code, debit=debits[code]) for code in sorted(debits)] + [
        Line(account=code, credit=credits[code]) for code in sorted(credits)
    ]


def prior_year_parts(loan_id: int, day: date, change: dict[str, Decimal]) -> dict[str, Decimal]:
    """Of each receivable reduced, the part accrued before this fiscal year: what the receivable
    held at the last year end, less what repayments collected from it since (the oldest interest
    is paid first; interest released from the memo of suspended interest never was on it)."""
    year_end = date(day.year - 1, 12, 31)
    held = queries.booked([loan_id], until=year_end).get(loan_id, Booked())
    collected = LoanTransaction.objects.filter(
        loan_id=loan_id, value_date__gt=year_end, kind__in=(Kind.REPAYMENT, Kind.REVERSAL)
    ).aggregate(interest=Sum("interest_receivable"), late_interest=Sum("late_interest_receivable"))
    old = {
        "interest": held.interest_receivable + (collected["interest"] or ZERO),
        "late_interest": held.late_interest_receivable + (collected["late_interest"] or ZERO),
    }
    return {kind: min(-change[kind], max(old[kind], ZERO)) for kind in change if change[kind] < 0}
