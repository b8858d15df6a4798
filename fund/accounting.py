"""The posting rules: which accounts a money event debits and credits, and by how much.

A money event (what happened, in whole đồng) and, for a loan, the GL map of its product go in;
the lines of a balanced journal entry come out. This is the only place in `loans` and `fund`
that decides the accounts of a money event; services post what it returns. Pure: plain values
in, `ledger.services.Line`s out, no database.

Each event kind has its rule in `_RULES`: a list of legs, each an amount moved from one account
(credited) to another (debited), so every entry balances by construction. A correction is the
ledger's mirror of the entry it undoes (`ledger.services.reverse_entry`), not a rule here.
The close of day brings its events here as new kinds with their rules: accrual, overdue
transfer, non-accrual (memo 0043 / 009), provision, waiver, write-off, recovery, and the
opening balances of a portfolio brought in.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import NamedTuple

from ledger.drafts import Line


@dataclass(frozen=True)
class GLMap:
    """The account codes a loan product posts to, each read from the product's account field
    named in its metadata (`fields(GLMap)` is the one list of them). An account joins when an
    event posts to it (overdue principal with the overdue transfer, interest receivable with
    accrual): one field here, and `queries.lock_loan` reads it too."""

    principal: str = field(metadata={"product_field": "principal_account"})  # in term, by term class
    interest_income: str = field(metadata={"product_field": "interest_income_account"})
    late_interest_income: str = field(metadata={"product_field": "late_interest_income_account"})


def product_fields() -> dict[str, str]:
    """Each GL map entry and the loan product's account field it is read from."""
    return {f.name: f.metadata["product_field"] for f in fields(GLMap)}


def gl_map(product) -> GLMap:
    """A loan product's GL map, from its accounts (a locked loan has it already: `queries.lock_loan`)."""
    return GLMap(**{name: getattr(product, account).code for name, account in product_fields().items()})


@dataclass(frozen=True)
class Disbursement:
    """A tranche paid out of one of the fund's cash or bank accounts."""

    amount: Decimal
    paid_from: str  # the account's code
    contract: str  # the contract number, each line's reference


@dataclass(frozen=True)
class Repayment:
    """A repayment received into a cash or bank account, as the engine allocated it."""

    principal: Decimal
    interest: Decimal
    late_interest: Decimal
    penalty: Decimal
    received_into: str  # the account's code
    contract: str  # the contract number, the reference of the loan's lines
    receipt: str = ""  # the payer's reference (a transfer's number), on the money's line


@dataclass(frozen=True)
class CapitalReceipt:
    """Capital received from a source into a cash or bank account."""

    amount: Decimal
    received_into: str
    capital_account: str  # the source's


Event = Disbursement | Repayment | CapitalReceipt


class Leg(NamedTuple):  # a tuple: made several times on every repayment, cheaper than a dataclass
    """`amount` debited to one account and credited to another, each line with its reference."""

    debit: str
    credit: str
    amount: Decimal
    debit_reference: str = ""
    credit_reference: str = ""


def _disbursement(event: Disbursement, gl: GLMap) -> list[Leg]:
    return [Leg(gl.principal, event.paid_from, event.amount, event.contract, event.contract)]


def _repayment(event: Repayment, gl: GLMap) -> list[Leg]:
    # Interest is taken to income when it is paid (no accrual yet); penalties with late interest.
    def paid(account: str, amount: Decimal) -> Leg:
        return Leg(event.received_into, account, amount, event.receipt, event.contract)

    return [
        paid(gl.principal, event.principal),
        paid(gl.interest_income, event.interest),
        paid(gl.late_interest_income, event.late_interest + event.penalty),
    ]


def _capital_receipt(event: CapitalReceipt, gl: None) -> list[Leg]:
    return [Leg(event.received_into, event.capital_account, event.amount)]


_RULES: dict[type, Callable[..., list[Leg]]] = {
    Disbursement: _disbursement,
    Repayment: _repayment,
    CapitalReceipt: _capital_receipt,
}


def legs(event: Event, gl: GLMap | None = None) -> list[Leg]:
    """What the event moves, leg by leg (zero legs included). `gl`: the loan product's, for a loan event."""
    return _RULES[type(event)](event, gl)


def lines(event: Event, gl: GLMap | None = None) -> list[Line]:
    """The entry's lines: the debits, then the credits, one line per account and reference, in
    the order the rule names them; nothing of zero."""
    debits: dict[tuple[str, str], Decimal] = {}
    credits: dict[tuple[str, str], Decimal] = {}
    for leg in legs(event, gl):
        if leg.amount:
            debit, credit = (leg.debit, leg.debit_reference), (leg.credit, leg.credit_reference)
            debits[debit] = debits.get(debit, 0) + leg.amount
            credits[credit] = credits.get(credit, 0) + leg.amount
    return [Line(account=code, debit=amount, reference=ref) for (code, ref), amount in debits.items()] + [
        Line(account=code, credit=amount, reference=ref) for (code, ref), amount in credits.items()
    ]
