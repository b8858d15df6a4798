"""The posting rules: which accounts a money event debits and credits, and by how much.

A money event (what happened, in whole đồng) and, for a loan, the GL map of its product go in;
the lines of a balanced journal entry come out. This is the only place in `loans` and `fund`
that decides the accounts of a money event; services post what it returns. Pure: plain values
in, `ledger.drafts.Line`s out, no database.

Each event kind has its rule in `_RULES`: a list of legs, each an amount moved from one account
(credited) to another (debited), so every entry balances by construction. A leg names a loan
account by its role in the product's GL map (`GLMap`), which is also how the loan's sub-ledger
learns what the event did to each control account (`controls`): the loan and the GL are told
the same thing by the same rule. A leg of a negative amount moves the money back (a release, an
over-accrual reversed). A correction is the ledger's mirror of the entry it undoes
(`ledger.services.reverse_entry`), not a rule here.

Interest is on accrual (DESIGN.md "Ledger"): close of day accrues it to interest receivable
(`Accrual`); a repayment collects it from there, accruing first whatever it pays that was not
accrued yet. From the fund's non-accrual group on, interest is income only when paid: what was
accrued is reversed and carried on the memo account of suspended interest (`Suspension`), and
paid interest is released from it.

A loan nothing more can be collected on is written off (`WriteOff`): its principal against its
provisions, the shortfall to expense, its interest receivable reversed, and both tracked
off-balance (0041, 0042) until recovered (`Recovery`: income, off the memo) or the fund stops
tracking them (`TrackingEnd`: what is left, off the memo). A tranche authorized in error is
taken back (`TrancheReversal`).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal
from functools import cache, cached_property
from typing import NamedTuple

from ledger.drafts import Line

ZERO = Decimal(0)


@dataclass(frozen=True)
class GLMap:
    """The account codes a loan product posts to, each read from the product's account field
    named in its metadata (`fields(GLMap)` is the one list of them; `queries.lock_loan` reads
    them with the loan)."""

    principal: str = field(metadata={"product_field": "principal_account"})  # in term, by term class
    overdue_principal: str = field(metadata={"product_field": "overdue_principal_account"})
    interest_receivable: str = field(metadata={"product_field": "interest_receivable_account"})
    late_interest_receivable: str = field(metadata={"product_field": "late_interest_receivable_account"})
    interest_income: str = field(metadata={"product_field": "interest_income_account"})
    late_interest_income: str = field(metadata={"product_field": "late_interest_income_account"})
    # Accrued interest of an earlier fiscal year reversed at the non-accrual switch (6428).
    interest_reversal: str = field(metadata={"product_field": "interest_reversal_account"})
    suspended_interest: str = field(metadata={"product_field": "suspended_interest_account"})  # memo 0043
    off_balance_contra: str = field(metadata={"product_field": "off_balance_contra_account"})  # memo 009
    specific_provision: str = field(metadata={"product_field": "specific_provision_account"})
    general_provision: str = field(metadata={"product_field": "general_provision_account"})
    provision_expense: str = field(metadata={"product_field": "provision_expense_account"})
    # Memo 0041 and 0042: what is written off and still pursued.
    written_off_principal: str = field(metadata={"product_field": "written_off_principal_account"})
    written_off_interest: str = field(metadata={"product_field": "written_off_interest_account"})
    recoveries_income: str = field(metadata={"product_field": "recoveries_income_account"})  # 7111

    @cached_property
    def codes(self) -> dict[str, str]:
        """Each role of the map and each control, and the code of the account it posts to, made
        once a map: close of day moves hundreds of thousands of legs over a handful of maps (a
        cache keyed by the map would hash and compare all its fields on every leg)."""
        return {role: account(self, role) for role in (*(f.name for f in fields(GLMap)), *CONTROLS)}


def product_fields() -> dict[str, str]:
    """Each GL map entry and the loan product's account field it is read from."""
    return {f.name: f.metadata["product_field"] for f in fields(GLMap)}


def gl_map(product) -> GLMap:
    """A loan product's GL map, from its accounts (a locked loan has it already: `queries.lock_loan`)."""
    return GLMap(**{name: getattr(product, account).code for name, account in product_fields().items()})


# The control accounts a loan's sub-ledger keeps per loan (`loans.LoanTransaction`), each with
# +1 when its balance is a debit (assets, memo debits) and -1 when a credit (provisions).
# Suspended interest and suspended late interest share the memo account 0043; the loan keeps
# them apart because each is released to its own income account when paid.
CONTROLS = {
    "principal": 1,
    "overdue_principal": 1,
    "interest_receivable": 1,
    "late_interest_receivable": 1,
    "suspended_interest": 1,
    "suspended_late": 1,
    "specific_provision": -1,
    "general_provision": -1,
    "written_off_principal": 1,
    "written_off_interest": 1,
}
# A role that is not a GL map entry of its own: the account it posts to.
_ALIASES = {"suspended_late": "suspended_interest"}


def account(gl: GLMap, role: str) -> str:
    """The code of the account a role (a GL map entry or a control) posts to."""
    return getattr(gl, _ALIASES.get(role, role))


@dataclass(frozen=True)
class Booked:
    """What a loan's sub-ledger holds on each control account (`CONTROLS`), in whole đồng."""

    principal: Decimal = ZERO  # in term
    overdue_principal: Decimal = ZERO
    interest_receivable: Decimal = ZERO
    late_interest_receivable: Decimal = ZERO
    suspended_interest: Decimal = ZERO
    suspended_late: Decimal = ZERO
    specific_provision: Decimal = ZERO
    general_provision: Decimal = ZERO
    written_off_principal: Decimal = ZERO
    written_off_interest: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        """The principal on the balance sheet, in term and overdue."""
        return self.principal + self.overdue_principal

    @property
    def off_balance(self) -> Decimal:
        """What is written off and still tracked off-balance, principal and interest."""
        return self.written_off_principal + self.written_off_interest


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disbursement:
    """A tranche paid out of one of the fund's cash or bank accounts."""

    amount: Decimal
    paid_from: str  # the account's code
    contract: str  # the contract number, each line's reference


@dataclass(frozen=True)
class Repayment:
    """A repayment received into a cash or bank account, as the engine allocated it.

    `overdue_principal`: the part of `principal` paid on installments already overdue (close of
    day moved them to the overdue account). `accruing`: the loan is not in non-accrual;
    `booked`: what its sub-ledger holds before this repayment.
    """

    principal: Decimal
    interest: Decimal
    late_interest: Decimal
    penalty: Decimal
    received_into: str  # the account's code
    contract: str  # the contract number, the reference of the loan's lines
    receipt: str = ""  # the payer's reference (a transfer's number), on the money's line
    overdue_principal: Decimal = ZERO
    accruing: bool = True
    booked: Booked = Booked()


@dataclass(frozen=True)
class CapitalReceipt:
    """Capital received from a source into a cash or bank account."""

    amount: Decimal
    received_into: str
    capital_account: str  # the source's


@dataclass(frozen=True)
class OverdueTransfer:
    """Close of day: principal left unpaid past its due date moves to the overdue account of
    its term (negative: back in term, after a back-dated repayment)."""

    amount: Decimal
    contract: str


@dataclass(frozen=True)
class Accrual:
    """Close of day: the change of interest receivable that brings it to what the loan owes,
    taken to income (negative: reversed, as at the non-accrual switch). `prior_year_*`: of a
    reversal, the part accrued in an earlier fiscal year, no longer in this year's income:
    reversed to an expense instead (6428)."""

    interest: Decimal
    late_interest: Decimal  # late interest and interest on unpaid interest together
    contract: str
    prior_year_interest: Decimal = ZERO
    prior_year_late_interest: Decimal = ZERO


@dataclass(frozen=True)
class Suspension:
    """Close of day: the memo of suspended interest brought to what a non-accrual loan owes
    (negative: released, as when a backdated repayment paid some)."""

    interest: Decimal
    late_interest: Decimal
    contract: str


@dataclass(frozen=True)
class Provision:
    """Month end: the loan's specific and general provisions brought to what they must be."""

    specific: Decimal
    general: Decimal
    contract: str


@dataclass(frozen=True)
class OpeningBalance:
    """A loan brought in at a cut-over date: what it has on each control account (`booked`, as
    the sub-ledger will hold it) taken from `contra`, its memos of suspended interest and (a loan
    brought in written off) of written-off principal and interest against the off-balance
    contra. `contra`: where the fund's opening balances come from — the capital of
    the fund merged in (411x), or, bringing a fund's own books in, a clearing role the opening
    entry's other accounts settle to nothing (`AccountOpening` with the same contra)."""

    booked: Booked
    contra: str
    contract: str


@dataclass(frozen=True)
class AccountOpening:
    """An account's opening balance at the cut-over date (debit positive, credit negative),
    taken from `contra` as `OpeningBalance`'s are."""

    account: str
    balance: Decimal
    contra: str


@dataclass(frozen=True)
class WriteOff:
    """The management board's write-off (xử lý rủi ro) of everything a loan owes on the day.

    `booked`: what its sub-ledger holds; `interest` and `late_interest`: what it owes of each
    (interest accrued, due and overdue; late interest and interest on unpaid interest), booked
    or not. `prior_year_*`: of the receivable reversed, the part accrued in an earlier fiscal
    year (reversed to 6428, as at the non-accrual switch).
    """

    contract: str
    booked: Booked
    interest: Decimal
    late_interest: Decimal
    prior_year_interest: Decimal = ZERO
    prior_year_late_interest: Decimal = ZERO


@dataclass(frozen=True)
class Recovery:
    """Money received on a written-off loan: income, and off the memo of what is written off,
    principal first (`booked`: what the loan's sub-ledger holds before it)."""

    amount: Decimal
    received_into: str
    contract: str
    receipt: str = ""
    booked: Booked = Booked()


@dataclass(frozen=True)
class TrackingEnd:
    """The end of a written-off loan's off-balance tracking: what the memo still holds of it
    (`booked`, net of recoveries) taken off, as a recovery takes off what it recovers."""

    contract: str
    booked: Booked


@dataclass(frozen=True)
class TrancheReversal:
    """A tranche authorized in error taken back on the business date.

    Its principal leaves the loan accounts as they hold it now (`in_term`, `overdue`), debited
    to `debited`: the cash or bank account it came back into, or the fund's other receivables
    (13888) while the borrower owes it back. `accrual` and `suspension`: the changes, negative,
    that take off the receivable and the memo what was accrued on it (an accrual reversed, its
    `prior_year_*` parts to 6428). `refunds`: repayments now above the debt, each (the
    account it came into, the amount above, the payer's reference), owed back to the borrower on
    `refund_payable` (33888).
    """

    contract: str
    debited: str
    in_term: Decimal
    accrual: Accrual
    suspension: Suspension
    overdue: Decimal = ZERO
    refund_payable: str = ""
    refunds: tuple[tuple[str, Decimal, str], ...] = ()


@dataclass(frozen=True)
class Waiver:
    """Interest forgiven (miễn, giảm lãi), as far as the books hold it: taken off the receivable
    against this year's income (`interest`, `late_interest`) or, accrued in an earlier fiscal
    year, against an expense (`prior_year_*`, 6428); a non-accrual loan's suspended interest
    off its memo account only (`suspended_*`)."""

    contract: str
    interest: Decimal = ZERO
    late_interest: Decimal = ZERO
    prior_year_interest: Decimal = ZERO
    prior_year_late_interest: Decimal = ZERO
    suspended_interest: Decimal = ZERO
    suspended_late: Decimal = ZERO


@dataclass(frozen=True)
class Capitalisation:
    """A restructuring adds overdue interest on the balance sheet to the loan's principal (in
    term): only what is in interest receivable; suspended interest is never capitalised (it
    would book income no cash paid)."""

    amount: Decimal
    contract: str


Event = (
    Disbursement
    | Repayment
    | CapitalReceipt
    | OverdueTransfer
    | Accrual
    | Suspension
    | Provision
    | OpeningBalance
    | AccountOpening
    | WriteOff
    | Recovery
    | TrackingEnd
    | TrancheReversal
    | Waiver
    | Capitalisation
)


class Leg(NamedTuple):  # a tuple: made several times on every repayment, cheaper than a dataclass
    """`amount` debited to one account and credited to another, each line with its reference;
    a loan account named by its role in the GL map (`debit_role`, `credit_role`, else "")."""

    debit: str
    credit: str
    amount: Decimal
    debit_reference: str = ""
    credit_reference: str = ""
    debit_role: str = ""
    credit_role: str = ""


def _move(gl: GLMap, debit: str, credit: str, amount: Decimal, refs: tuple[str, str] = ("", "")) -> Leg:
    """A leg between two accounts, each a GL map role or (not a role) an account code."""
    codes = gl.codes
    return Leg(
        codes.get(debit, debit),
        codes.get(credit, credit),
        amount,
        refs[0],
        refs[1],
        debit if debit in codes else "",
        credit if credit in codes else "",
    )


def _disbursement(event: Disbursement, gl: GLMap) -> list[Leg]:
    return [_move(gl, "principal", event.paid_from, event.amount, (event.contract, event.contract))]


def _repayment(event: Repayment, gl: GLMap) -> list[Leg]:
    """Principal from the overdue and in-term accounts; each kind of interest released from the
    suspended memo first (income now), then collected from its receivable, accruing first what
    it pays beyond what is accrued; a non-accrual loan's interest straight to income."""
    cash, contract = event.received_into, event.contract
    paid = (event.receipt, contract)
    legs = [
        _move(gl, cash, "principal", event.principal - event.overdue_principal, paid),
        _move(gl, cash, "overdue_principal", event.overdue_principal, paid),
    ]
    kinds = (
        (event.interest, "interest_receivable", "interest_income", "suspended_interest"),
        (
            event.late_interest + event.penalty,
            "late_interest_receivable",
            "late_interest_income",
            "suspended_late",
        ),
    )
    for amount, receivable, income, suspended in kinds:
        released = min(amount, max(getattr(event.booked, suspended), ZERO))
        rest = amount - released
        legs.append(_move(gl, cash, income, released, paid))
        legs.append(_move(gl, "off_balance_contra", suspended, released, (contract, contract)))
        if event.accruing:
            unaccrued = max(rest - max(getattr(event.booked, receivable), ZERO), ZERO)
            legs.append(_move(gl, receivable, income, unaccrued, (contract, contract)))
            legs.append(_move(gl, cash, receivable, rest, paid))
        else:
            legs.append(_move(gl, cash, income, rest, paid))
    return legs


def _capital_receipt(event: CapitalReceipt, gl: None) -> list[Leg]:
    return [Leg(event.received_into, event.capital_account, event.amount)]


def _overdue_transfer(event: OverdueTransfer, gl: GLMap) -> list[Leg]:
    return [_move(gl, "overdue_principal", "principal", event.amount, (event.contract, event.contract))]


def _accrual(event: Accrual, gl: GLMap) -> list[Leg]:
    refs = (event.contract, event.contract)
    return [
        _move(gl, "interest_receivable", "interest_income", event.interest + event.prior_year_interest, refs),
        _move(gl, "interest_receivable", "interest_reversal", -event.prior_year_interest, refs),
        _move(
            gl,
            "late_interest_receivable",
            "late_interest_income",
            event.late_interest + event.prior_year_late_interest,
            refs,
        ),
        _move(gl, "late_interest_receivable", "interest_reversal", -event.prior_year_late_interest, refs),
    ]


def _suspension(event: Suspension, gl: GLMap) -> list[Leg]:
    refs = (event.contract, event.contract)
    return [
        _move(gl, "suspended_interest", "off_balance_contra", event.interest, refs),
        _move(gl, "suspended_late", "off_balance_contra", event.late_interest, refs),
    ]


def _provision(event: Provision, gl: GLMap) -> list[Leg]:
    refs = (event.contract, event.contract)
    return [
        _move(gl, "provision_expense", "specific_provision", event.specific, refs),
        _move(gl, "provision_expense", "general_provision", event.general, refs),
    ]


def _opening_balance(event: OpeningBalance, gl: GLMap) -> list[Leg]:
    refs, booked, contra = (event.contract, event.contract), event.booked, event.contra
    return [
        _move(gl, "principal", contra, booked.principal, refs),
        _move(gl, "overdue_principal", contra, booked.overdue_principal, refs),
        _move(gl, "interest_receivable", contra, booked.interest_receivable, refs),
        _move(gl, "late_interest_receivable", contra, booked.late_interest_receivable, refs),
        _move(gl, "suspended_interest", "off_balance_contra", booked.suspended_interest, refs),
        _move(gl, "suspended_late", "off_balance_contra", booked.suspended_late, refs),
        _move(gl, contra, "specific_provision", booked.specific_provision, refs),
        _move(gl, contra, "general_provision", booked.general_provision, refs),
        # A loan brought in written off: what is still pursued, on the memo accounts only.
        _move(gl, "written_off_principal", "off_balance_contra", booked.written_off_principal, refs),
        _move(gl, "written_off_interest", "off_balance_contra", booked.written_off_interest, refs),
    ]


def _account_opening(event: AccountOpening, gl: None) -> list[Leg]:
    return [Leg(event.account, event.contra, event.balance)]


# What a write-off takes its principal from, overdue first; what covers it, in order: the loan's
# specific provision, its general provision, then provision expense (the shortfall).
_PRINCIPAL = ("overdue_principal", "principal")
_COVER = ("specific_provision", "general_provision", "provision_expense")


def _write_off(event: WriteOff, gl: GLMap) -> list[Leg]:
    """Principal (overdue first) against the loan's specific provision, then its general
    provision, the shortfall to provision expense, and what provisions are left released; the
    receivable reversed as at the non-accrual switch; principal and every kind of interest owed
    tracked off-balance, the suspended interest moved there from its memo."""
    booked, refs = event.booked, (event.contract, event.contract)
    left = {role: getattr(booked, role) for role in _PRINCIPAL}
    provisions = _COVER[:2]
    available = {provision: max(getattr(booked, provision), ZERO) for provision in provisions}
    legs = []
    for source in _COVER:
        for target in left:
            taken = min(left[target], available.get(source, left[target]))
            if taken > 0:
                legs.append(_move(gl, source, target, taken, refs))
                left[target] -= taken
                if source in available:
                    available[source] -= taken
    for provision in provisions:  # what the principal did not take is released: the loan keeps none
        released = available[provision] + min(getattr(booked, provision), ZERO)
        legs.append(_move(gl, provision, "provision_expense", released, refs))
    legs += _accrual(
        Accrual(
            interest=-booked.interest_receivable,
            late_interest=-booked.late_interest_receivable,
            contract=event.contract,
            prior_year_interest=event.prior_year_interest,
            prior_year_late_interest=event.prior_year_late_interest,
        ),
        gl,
    )
    not_suspended = event.interest + event.late_interest - booked.suspended_interest - booked.suspended_late
    return [
        *legs,
        _move(gl, "written_off_interest", "suspended_interest", booked.suspended_interest, refs),
        _move(gl, "written_off_interest", "suspended_late", booked.suspended_late, refs),
        _move(gl, "written_off_interest", "off_balance_contra", not_suspended, refs),
        _move(gl, "written_off_principal", "off_balance_contra", booked.outstanding, refs),
    ]


def _off_memo(gl: GLMap, principal: Decimal, interest: Decimal, contract: str) -> list[Leg]:
    """Written-off principal and interest no longer pursued off-balance, taken off the memo."""
    refs = (contract, contract)
    return [
        _move(gl, "off_balance_contra", "written_off_principal", principal, refs),
        _move(gl, "off_balance_contra", "written_off_interest", interest, refs),
    ]


def _recovery(event: Recovery, gl: GLMap) -> list[Leg]:
    principal = min(event.amount, max(event.booked.written_off_principal, ZERO))
    return [
        _move(gl, event.received_into, "recoveries_income", event.amount, (event.receipt, event.contract)),
        *_off_memo(gl, principal, event.amount - principal, event.contract),
    ]


def _tracking_end(event: TrackingEnd, gl: GLMap) -> list[Leg]:
    booked = event.booked
    return _off_memo(gl, booked.written_off_principal, booked.written_off_interest, event.contract)


def _tranche_reversal(event: TrancheReversal, gl: GLMap) -> list[Leg]:
    refs = (event.contract, event.contract)
    return [
        _move(gl, event.debited, "overdue_principal", event.overdue, refs),
        _move(gl, event.debited, "principal", event.in_term, refs),
        *_accrual(event.accrual, gl),
        *_suspension(event.suspension, gl),
        *(
            Leg(account, event.refund_payable, amount, receipt, event.contract)
            for account, amount, receipt in event.refunds
        ),
    ]


def _waiver(event: Waiver, gl: GLMap) -> list[Leg]:
    refs = (event.contract, event.contract)
    return [
        _move(gl, "interest_income", "interest_receivable", event.interest, refs),
        _move(gl, "interest_reversal", "interest_receivable", event.prior_year_interest, refs),
        _move(gl, "late_interest_income", "late_interest_receivable", event.late_interest, refs),
        _move(gl, "interest_reversal", "late_interest_receivable", event.prior_year_late_interest, refs),
        _move(gl, "off_balance_contra", "suspended_interest", event.suspended_interest, refs),
        _move(gl, "off_balance_contra", "suspended_late", event.suspended_late, refs),
    ]


def _capitalisation(event: Capitalisation, gl: GLMap) -> list[Leg]:
    return [_move(gl, "principal", "interest_receivable", event.amount, (event.contract, event.contract))]


_RULES: dict[type, Callable[..., list[Leg]]] = {
    Disbursement: _disbursement,
    Repayment: _repayment,
    CapitalReceipt: _capital_receipt,
    OverdueTransfer: _overdue_transfer,
    Accrual: _accrual,
    Suspension: _suspension,
    Provision: _provision,
    OpeningBalance: _opening_balance,
    AccountOpening: _account_opening,
    WriteOff: _write_off,
    Recovery: _recovery,
    TrackingEnd: _tracking_end,
    TrancheReversal: _tranche_reversal,
    Waiver: _waiver,
    Capitalisation: _capitalisation,
}


def legs(event: Event, gl: GLMap | None = None) -> list[Leg]:
    """What the event moves, leg by leg (zero legs included). `gl`: the loan product's, for a loan event."""
    return _RULES[type(event)](event, gl)


def lines(event: Event, gl: GLMap | None = None, *, moved: list[Leg] | None = None) -> list[Line]:
    """The entry's lines: the debits, then the credits, one line per account and reference, net
    of what the event moves both ways on it, in the order the rule names them; nothing of zero.
    `moved`: the event's `legs`, when the caller has them already."""
    net: dict[tuple[str, str], Decimal] = {}
    for leg in legs(event, gl) if moved is None else moved:
        if leg.amount:
            debit, credit = (leg.debit, leg.debit_reference), (leg.credit, leg.credit_reference)
            net[debit] = net.get(debit, ZERO) + leg.amount
            net[credit] = net.get(credit, ZERO) - leg.amount
    return [
        Line(account=code, debit=amount, reference=ref) for (code, ref), amount in net.items() if amount > 0
    ] + [
        Line(account=code, credit=-amount, reference=ref) for (code, ref), amount in net.items() if amount < 0
    ]


def controls(event: Event, gl: GLMap, *, moved: list[Leg] | None = None) -> dict[str, Decimal]:
    """What the event does to each of the loan's control accounts (`CONTROLS`), signed as the
    account's balance: what the loan's sub-ledger records beside the entry. `moved`: as `lines`."""
    changes = dict.fromkeys(CONTROLS, ZERO)
    for leg in legs(event, gl) if moved is None else moved:
        if leg.debit_role in CONTROLS:
            changes[leg.debit_role] += leg.amount * CONTROLS[leg.debit_role]
        if leg.credit_role in CONTROLS:
            changes[leg.credit_role] -= leg.amount * CONTROLS[leg.credit_role]
    return changes


class Cover(NamedTuple):
    """What covered a written-off loan's principal, in đồng."""

    specific: Decimal  # its specific provision
    general: Decimal  # its general provision
    expense: Decimal  # provision expense: the shortfall


def cover(moved: list[Leg]) -> Cover:
    """How the legs of a `WriteOff` (`legs`) cover the loan's principal, source by source."""
    taken = dict.fromkeys(_COVER, ZERO)
    for leg in moved:
        if leg.debit_role in taken and leg.credit_role in _PRINCIPAL:
            taken[leg.debit_role] += leg.amount
    return Cover(*taken.values())


# --- what a rule does per đồng --------------------------------------------------------------
# For code that books many loans' events at once, set-based (`loans.services.closing.batched`),
# or adds up their figures by account (the cut-over report): what the rule does to each account
# for one đồng of each amount, learnt from `legs` and `controls` themselves.


class Shares(NamedTuple):
    """What an event does per đồng of each of its amounts: `accounts`, the net (debit +,
    credit −) on each loan account, by its role in the GL map (an account given by code, a
    contra or cash, left out); `controls`, the change of each control account (`controls`).
    Each maps every amount to the roles it moves, with their coefficients (none of 0)."""

    accounts: dict[str, dict[str, int]]
    controls: dict[str, dict[str, int]]


# A GL map with an account of its own for each role: nothing nets between roles.
_APART = GLMap(**{f.name: f.name for f in fields(GLMap)})


def _nonzero(amounts: dict[str, Decimal]) -> dict[str, Decimal]:
    return {role: amount for role, amount in amounts.items() if amount}


def _learnt(make: Callable[[dict[str, Decimal]], Event], amounts: tuple[str, ...]) -> Shares:
    """The shares of the events `make` builds from their amounts (each one not given is 0),
    from one đồng of each alone; refused (ValueError) unless the rule is linear in them, as
    two more events, of all the amounts at once, each sign, must show."""

    def moved(values: dict[str, Decimal]) -> tuple[dict[str, Decimal], ...]:
        event = make(values)
        net: dict[str, Decimal] = defaultdict(Decimal)
        for leg in legs(event, _APART):
            if leg.debit_role:
                net[leg.debit_role] += leg.amount
            if leg.credit_role:
                net[leg.credit_role] -= leg.amount
        return _nonzero(net), _nonzero(controls(event, _APART))

    unit = {name: moved({name: Decimal(1)}) for name in amounts}
    for sign in (1, -1):
        probe = {name: Decimal(sign * (i + 2) * (-1) ** i) for i, name in enumerate(amounts)}
        expected = []
        for part in range(2):  # accounts, controls
            total: dict[str, Decimal] = defaultdict(Decimal)
            for name, value in probe.items():
                for role, share in unit[name][part].items():
                    total[role] += share * value
            expected.append(_nonzero(total))
        if moved(probe) != tuple(expected):
            kind = type(make(probe)).__name__
            raise ValueError(f"The rule of {kind} is not linear in {', '.join(amounts)}.")
    return Shares(
        *(
            {name: {role: int(v) for role, v in unit[name][part].items()} for name in amounts}
            for part in range(2)
        )
    )


@cache
def shares(kind: type) -> Shares:
    """What an event of `kind` does per đồng of each of its amounts (its `Decimal` fields), for
    a rule linear in them (`Accrual`, `Provision`, …; ValueError otherwise)."""
    amounts = tuple(f.name for f in fields(kind) if f.type is Decimal)
    blanks = {f.name: "" for f in fields(kind) if f.type is str and f.default is MISSING}
    return _learnt(lambda values: kind(**blanks, **dict.fromkeys(amounts, ZERO) | values), amounts)


@cache
def _opening_shares() -> Shares:
    """What an `OpeningBalance` does per đồng of each figure of its `booked`."""
    return _learnt(
        lambda values: OpeningBalance(Booked(**values), contra="", contract=""),
        tuple(f.name for f in fields(Booked)),
    )


def brought_in(figures: dict[str, Decimal], gl: GLMap, into: dict[str, Decimal]) -> None:
    """Adds to `into` (a defaultdict) what an `OpeningBalance` holding `figures` (`Booked`
    fields, the others 0) brings to each of the loan's accounts (by code), debit less credit,
    its contra left out: every account a figure is taken to is there, at 0 too. (Adding in
    place: a portfolio's import adds a hundred thousand loans' and rows'.)"""
    shares, codes = _opening_shares().accounts, gl.codes
    for name, amount in figures.items():
        for role, share in shares[name].items():
            into[codes[role]] += share * amount
