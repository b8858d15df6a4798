"""What a filled workbook would bring in, worked out without writing anything: the dry run.

Borrowers are matched (registration number or tax code; a household group by its name and
commune) or made new; each loan's sub-loans are replayed from their opening at the cut-over
date (`loans.domain.engine.Opening`), which also proves the engine can carry them on; the
debt group is the worse of the old books' and the one its days past due give (so a
restructured loan does not improve, and no provision is released, on day one); what each loan
holds on every control account follows the close of day's rules (interest owed on the
receivable, or on the memo of suspended interest from the fund's non-accrual group; the
specific provision as booked; the general one as the product's rate says). The opening entry
is the posting rules' (`fund.accounting.OpeningBalance`, `AccountOpening`); the cut-over report
sets the loans' totals beside the spreadsheet's and the GL opening balances, and the plan is
refused, saying by how much, where they disagree.
"""

import pickle
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils.translation import gettext as _

from common.money import ZERO, format_vnd
from common.xlsx import CellError
from fund import accounting
from fund.accounting import Booked, GLMap
from fund.imports import borrower_columns, household_columns, member_fields
from fund.models import Borrower, Fund, HouseholdMember, LoanProduct
from fund.selectors import (
    borrowers_by_number,
    household_groups_by_name,
    probable_duplicates,
)
from fund.services.borrowers import checked_borrower, checked_member
from ledger.drafts import Line
from ledger.models import Account
from loans.domain.classification import days_past_due, general_provision
from loans.domain.engine import PREPAYMENT, LoanEventError, Opening, Result, Tranche, replay
from loans.domain.schedule import ScheduleError
from loans.models import LoanContract, ScheduleRow
from loans.replaying import loan_terms
from loans.selectors.cut_over import ControlLine, CutOverReport
from loans.services.onboarding.workbook import (
    ACCOUNTS,
    BORROWERS,
    HOUSEHOLDS,
    LOAN_COLUMNS,
    LOANS,
    WRITTEN_OFF,
    WRITTEN_OFF_COLUMNS,
    LoanRow,
    Portfolio,
    SheetError,
    WrittenOffRow,
)
from loans.services.risk import tracked_until
from loans.services.servicing.balances import first_rows
from loans.services.servicing.settling import schedule_fingerprint

# Bringing a fund's own books in, the loans' opening balances and the other accounts' are taken
# from this clearing role, which the whole entry settles to nothing when the file's balances
# balance (the plan is refused otherwise): no line is ever posted to it.
CLEARING = ""
ONE_DAY = timedelta(days=1)


# A schedule row packed as whole numbers: whether it is a prepayment's, its number (-1: none),
# its dates as ordinals, its amounts in whole đồng (the engine rounds an installment once, to
# the đồng). Read off the engine's rows directly: a dict a row took a third of the dry run's time.
_KINDS = (ScheduleRow.Kind.SCHEDULED, ScheduleRow.Kind.PREPAYMENT)
_WIDTH = 8


def _whole(amount: Decimal) -> int:
    whole = int(amount)
    if whole != amount:
        raise ValueError(f"an installment's {amount} is not in whole đồng")
    return whole


@dataclass(frozen=True)
class Replayed:
    """What a sub-loan's replay from its opening writes — its schedule's rows and fingerprint,
    its stored balances rows (their loan and share set when written) — packed and compressed
    (to a third: a province's plan is held from the dry run to the commit): its replays held
    whole would not fit in memory, and pickling every row's Decimals and dates took as long as
    the writing."""

    fingerprint: str
    schedule: bytes
    balances: bytes

    @classmethod
    def of(cls, result: Result, cut_over: date) -> "Replayed":
        packed = []
        for row in result.rows:
            packed.extend(
                (
                    row.kind == PREPAYMENT,
                    -1 if row.number is None else row.number,
                    row.due_date.toordinal(),
                    row.period_start.toordinal(),
                    row.interest_from.toordinal(),
                    _whole(row.principal),
                    _whole(row.interest),
                    _whole(row.opening_principal),
                )
            )
        schedule = zlib.compress(array("q", packed).tobytes(), 1)
        balances = zlib.compress(pickle.dumps(first_rows(result, cut_over), pickle.HIGHEST_PROTOCOL), 1)
        return cls(schedule_fingerprint(result.rows), schedule, balances)

    def unpack(self) -> tuple[list[dict], list[dict]]:
        """The schedule's rows (`ScheduleRow` values, as `schedule_row_values` gives them) and
        the balances rows (`LoanBalance`'s)."""
        packed = array("q")
        packed.frombytes(zlib.decompress(self.schedule))
        day, values = date.fromordinal, packed.tolist()
        rows = [
            {
                "kind": _KINDS[kind],
                "number": None if number < 0 else number,
                "due_date": day(due),
                "period_start": day(start),
                "interest_from": day(since),
                "principal": Decimal(principal),
                "interest": Decimal(interest),
                "opening_principal": Decimal(opening),
            }
            for kind, number, due, start, since, principal, interest, opening in zip(
                *(values[n::_WIDTH] for n in range(_WIDTH)), strict=True
            )
        ]
        return rows, pickle.loads(zlib.decompress(self.balances))  # noqa: S301 - packed by this process


@dataclass
class SubLoan:
    row: LoanRow
    member: HouseholdMember | None
    opening: Opening
    replayed: Replayed | None  # None once written


@dataclass
class PlannedLoan:
    contract: str  # as it will be numbered here (prefixed on a collision when merging)
    old_contract: str
    product: LoanProduct
    borrower: Borrower  # saved already, or one of the plan's new borrowers
    parts: list[SubLoan]
    group: int = 1
    accrual_suspended: bool = False
    booked: Booked = Booked()
    legs: list = field(default_factory=list)

    @property
    def first(self) -> LoanRow:
        return self.parts[0].row


@dataclass
class PlannedWriteOff:
    """A loan brought in written off: nothing on the balance sheet, what is still pursued on
    the memo accounts of written-off debt."""

    contract: str
    old_contract: str
    product: LoanProduct
    borrower: Borrower
    row: WrittenOffRow
    tracked_until: date
    booked: Booked = Booked()
    legs: list = field(default_factory=list)


@dataclass
class Plan:
    cut_over: date
    business_date: date
    contra: str
    report: CutOverReport
    errors: list[SheetError] = field(default_factory=list)
    borrowers: list[Borrower] = field(default_factory=list)  # new
    members: list[HouseholdMember] = field(default_factory=list)  # new
    loans: list[PlannedLoan] = field(default_factory=list)
    written_off: list[PlannedWriteOff] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)  # the opening entry's
    maps: dict[int, GLMap] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def plan(
    portfolio: Portfolio,
    *,
    fund: Fund,
    merger_from: str = "",
    capital_account: str = "",
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """The dry run of `portfolio` into `fund`: bringing the fund's own books in (cut-over the
    day before its opening date), or, with `merger_from` (the source fund's tag, the prefix of
    colliding contract numbers), merging another fund's portfolio on the business date against
    `capital_account`. `progress(loans)` hears how many loans are worked out, every thousand."""
    cut_over = fund.business_date if merger_from else fund.opened_on - ONE_DAY
    contra = capital_account if merger_from else CLEARING
    result = Plan(cut_over, fund.business_date, contra, CutOverReport(cut_over))
    result.errors = list(portfolio.errors)
    if merger_from:
        _check_capital(capital_account, result)
    borrowers = _Borrowers(portfolio, result)
    _plan_loans(portfolio, fund, borrowers, merger_from, result, progress)
    _plan_written_off(portfolio, fund, borrowers, merger_from, result)
    _book(fund, result)
    _entry(portfolio, result)
    return result


def _refuse(plan_: Plan, sheet: str, row: int, column: str, message: str) -> None:
    plan_.errors.append(SheetError(sheet, CellError(row, column, message)))


def _check_capital(code: str, plan_: Plan) -> None:
    account = Account.objects.filter(code=code, active=True).first()
    if account is None or not code.startswith("411") or account.children.exists():
        message = _("Choose the capital account (411…) the merged fund's net assets are taken to.")
        plan_.errors.append(SheetError.of_file(message))


# --- borrowers -------------------------------------------------------------------------------


def group_key(borrower: Borrower) -> tuple:
    """A borrower registered already, or one of the plan's new ones (no id yet)."""
    return ("pk", borrower.pk) if borrower.pk else ("new", id(borrower))


class _Borrowers:
    """The file's borrowers and households, matched to those registered or made new (checked,
    not saved), and each loan row's borrower and household found by its number."""

    def __init__(self, portfolio: Portfolio, plan_: Plan):
        self.plan = plan_
        numbers = [
            v[key]
            for _n, v in portfolio.borrowers
            for key in ("registration_number", "tax_code")
            if v.get(key)
        ]
        numbers += [row.borrower for row in portfolio.loans]
        self.registered = borrowers_by_number(numbers)
        groups = household_groups_by_name([v["name"] for _n, v in portfolio.borrowers if v.get("name")])
        self.by_number: dict[str, Borrower] = dict(self.registered)
        labels = {c.key: c.label for c in borrower_columns()}
        names = []
        for number, values in portfolio.borrowers:
            fields = {k: v if v is not None else "" for k, v in values.items()}
            known = self.registered.get(fields["registration_number"]) or self.registered.get(
                fields["tax_code"]
            )
            if known is None and fields["type"] == Borrower.Type.HOUSEHOLD_GROUP:
                known = groups.get((fields["name"].lower(), fields["commune"].lower()))
            if known is not None:
                plan_.report.borrowers_matched += 1
                self._index(known, fields)
                continue
            borrower, problems = checked_borrower(fields)
            for key, messages in problems.items():
                _refuse(plan_, BORROWERS, number, str(labels.get(key, _("row"))), " ".join(messages))
            taken = [self.by_number.get(n) for n in (fields["registration_number"], fields["tax_code"]) if n]
            if any(taken):
                _refuse(plan_, BORROWERS, number, labels["registration_number"], _("Repeats an earlier row."))
                continue
            if not problems:
                plan_.borrowers.append(borrower)
                self._index(borrower, fields)
                names.append(borrower.name)
        plan_.report.borrowers_new = len(plan_.borrowers)
        found = probable_duplicates(names)
        plan_.report.duplicates = [
            _(
                "%(name)s (%(commune)s) has the name of %(others)s, registered already: "
                "check it is another borrower."
            )
            % {
                "name": borrower.name,
                "commune": borrower.commune,
                "others": ", ".join(f"{o.registration_number} ({o.commune})" for o in found[borrower.name]),
            }
            for borrower in plan_.borrowers
            if borrower.name in found
        ]
        self.members = self._members(portfolio)

    def _index(self, borrower: Borrower, fields: dict) -> None:
        for number in (fields.get("registration_number"), fields.get("tax_code")):
            if number:
                self.by_number[number] = borrower

    def _members(self, portfolio: Portfolio) -> dict[tuple, HouseholdMember]:
        """Each group's households by (`group_key`, ID number): registered or new."""
        members: dict[tuple, HouseholdMember] = {}
        registered = list({b.pk for b in self.by_number.values() if b.pk and b.is_household_group})
        for member in HouseholdMember.objects.filter(borrower_id__in=registered):
            members[(("pk", member.borrower_id), member.id_number)] = member
        labels = {c.key: c.label for c in household_columns()}
        for number, values in portfolio.households:
            group = self.by_number.get(values["group_number"] or "")
            if group is None or not group.is_household_group:
                _refuse(
                    self.plan,
                    HOUSEHOLDS,
                    number,
                    labels["group_number"],
                    _("No household group has this number."),
                )
                continue
            fields = member_fields(values)
            if (group_key(group), fields["id_number"]) in members:
                continue  # registered already
            member, problems = checked_member(group, fields)
            for key, messages in problems.items():
                _refuse(self.plan, HOUSEHOLDS, number, str(labels.get(key, _("row"))), " ".join(messages))
            if not problems:
                members[(group_key(group), member.id_number)] = member
                self.plan.members.append(member)
        return members


# --- loans -------------------------------------------------------------------------------------


def _plan_loans(
    portfolio, fund: Fund, borrowers: _Borrowers, merger_from: str, plan_: Plan, progress
) -> None:
    products = _products({row.product for row in portfolio.loans})
    by_contract: dict[str, list[LoanRow]] = defaultdict(list)
    for row in portfolio.loans:
        by_contract[row.contract].append(row)
    taken = _taken(list(by_contract))
    label = {c.key: c.label for c in LOAN_COLUMNS}
    done = 0
    for number, rows in by_contract.items():
        first = rows[0]
        product, borrower = products.get(first.product), borrowers.by_number.get(first.borrower)
        problems = _contract_problems(first, product, borrower, fund)
        for row in rows[1:]:
            if (row.borrower, row.product, row.signed_on, row.rate, row.method, row.term_months) != (
                first.borrower,
                first.product,
                first.signed_on,
                first.rate,
                first.method,
                first.term_months,
            ):
                _refuse(
                    plan_,
                    LOANS,
                    row.row,
                    label["contract"],
                    _("Repeats row %(row)s with other terms.") % {"row": first.row},
                )
        contract = _numbered(number, taken, merger_from, problems, plan_)
        for key, message in problems:
            _refuse(plan_, LOANS, first.row, label[key], message)
        if problems:
            continue
        parts = _parts(rows, borrower, borrowers, product, plan_, label)
        if parts is None:
            continue
        plan_.loans.append(PlannedLoan(contract, number, product, borrower, parts))
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(done)
    plan_.report.loans = len(plan_.loans)
    plan_.report.sub_loans = sum(len(loan.parts) for loan in plan_.loans)


def _contract_problems(row, product, borrower, fund: Fund) -> list[tuple[str, str]]:
    """What is wrong with a contract's product, borrower and rate (a loan's or a written-off
    loan's), each as its column's key and a message."""
    problems = []
    if product is None:
        problems.append(("product", _("No loan product has this code.")))
    if borrower is None:
        problems.append(("borrower", _("No borrower of this file or of the fund has this number.")))
    elif product is not None and not product.allows(borrower.type):
        problems.append(("product", _("This product does not lend to this kind of borrower.")))
    if row.rate > fund.max_annual_rate:
        problems.append(("rate", _("The rate is above the fund's highest rate.")))
    return problems


def _numbered(number: str, taken: set[str], merger_from: str, problems: list, plan_: Plan) -> str:
    """The contract's number here: as in the file, or, merging, prefixed with the source fund's
    tag when the books have it already (a problem when they have that too, or when not merging)."""
    if number not in taken:
        return number
    if not merger_from:
        problems.append(("contract", _("A loan with this contract number is in the books already.")))
        return number
    contract = f"{merger_from}-{number}"[:64]
    if contract in taken:
        problems.append(("contract", _("This contract number is taken, prefixed too.")))
    else:
        plan_.report.renamed.append(f"{number} → {contract}")
    return contract


def _plan_written_off(portfolio, fund: Fund, borrowers: _Borrowers, merger_from: str, plan_: Plan) -> None:
    """Each written-off loan checked as a loan's contract is, and booked on the memo accounts."""
    products = _products({row.product for row in portfolio.written_off})
    label = {c.key: c.label for c in WRITTEN_OFF_COLUMNS}
    numbers = [row.contract for row in portfolio.written_off]
    taken = _taken(numbers)
    seen = {row.contract for row in portfolio.loans}
    for row in portfolio.written_off:
        product, borrower = products.get(row.product), borrowers.by_number.get(row.borrower)
        problems = _contract_problems(row, product, borrower, fund)
        if row.contract in seen:
            message = _("This contract number is on an earlier row or on the loans sheet.")
            problems.append(("contract", message))
        seen.add(row.contract)
        contract = _numbered(row.contract, taken, merger_from, problems, plan_)
        until = row.tracked_until or tracked_until(row.written_off_on, fund.off_balance_years)
        if row.written_off_on > plan_.cut_over:
            problems.append(("written_off_on", _("The loan is written off after the cut-over date.")))
        elif until <= plan_.cut_over:
            problems.append(
                ("tracked_until", _("Its tracking ended before the cut-over date: leave the loan out."))
            )
        for key, message in problems:
            _refuse(plan_, WRITTEN_OFF, row.row, label[key], message)
        if not problems:
            booked = Booked(written_off_principal=row.principal, written_off_interest=row.interest)
            plan_.written_off.append(
                PlannedWriteOff(contract, row.contract, product, borrower, row, until, booked)
            )
    plan_.report.written_off = len(plan_.written_off)


def _taken(numbers: list[str]) -> set[str]:
    taken = set()
    for start in range(0, len(numbers), 1000):
        taken |= set(
            LoanContract.objects.filter(number__in=numbers[start : start + 1000]).values_list(
                "number", flat=True
            )
        )
    return taken


def _products(codes: set[str]) -> dict[str, LoanProduct]:
    """Each code's newest version, with its accounts (the GL map)."""
    newest: dict[str, LoanProduct] = {}
    accounts = list(accounting.product_fields().values())
    for product in LoanProduct.objects.filter(code__in=codes).select_related(*accounts).order_by("version"):
        newest[product.code] = product
    return newest


def _parts(rows, borrower, borrowers: _Borrowers, product, plan_: Plan, label) -> list[SubLoan] | None:
    group_loan = borrower.is_household_group
    parts, seen, failed = [], set(), False
    if len(rows) > 1 and not group_loan:
        _refuse(
            plan_,
            LOANS,
            rows[1].row,
            label["contract"],
            _("Only a household group's loan has a row per household."),
        )
        return None
    for row in rows:
        member = borrowers.members.get((group_key(borrower), row.household)) if group_loan else None
        problem = _row_problem(row, member, group_loan=group_loan, seen=seen, cut_over=plan_.cut_over)
        seen.add(row.household)
        if problem is None:
            opening = Opening(
                start=row.disbursed_on,
                lent=row.lent,
                accrued=row.interest_accrued,
                oldest_unpaid=row.oldest_unpaid,
                overdue_principal=row.principal_overdue,
                overdue_interest=row.interest_overdue,
                late_interest=row.late_interest,
                penalty=row.penalty,
            )
            try:
                result = replay(
                    loan_terms(_terms(product, row)),
                    tranches=[Tranche("o", plan_.cut_over, row.outstanding, opening)],
                    payments=[],
                    as_of=plan_.business_date,
                    balances_from=plan_.cut_over,
                )
            except (ScheduleError, LoanEventError):
                problem = (
                    "principal_in_term",
                    _("No installment falls due after the cut-over date: principal left then is overdue."),
                )
            else:
                parts.append(SubLoan(row, member, opening, Replayed.of(result, plan_.cut_over)))
        if problem is not None:
            column, message = problem
            _refuse(plan_, LOANS, row.row, label[column], message)
            failed = True
    return None if failed else parts


def _row_problem(row, member, *, group_loan: bool, seen: set, cut_over: date) -> tuple[str, str] | None:
    """What refuses a loan row before its replay, as (its column, why); None when nothing does.
    `seen`: the households of the loan's rows before it."""
    if group_loan and (member is None or row.household in seen):
        return "household", _("Give the ID number of a household of this group, once.")
    if not group_loan and row.household:
        return "household", _("Only a household group's loan names a household.")
    if row.oldest_unpaid is not None and row.oldest_unpaid > cut_over:
        return "oldest_unpaid", _("The oldest unpaid due date is after the cut-over date.")
    if row.disbursed_on > cut_over:
        return "disbursed_on", _("The loan is disbursed after the cut-over date.")
    return None


def _terms(product: LoanProduct, row: LoanRow) -> SimpleNamespace:
    """A contract's terms (as `loan_terms` reads them) for a row: the product's rules, the row's
    rate, method and term."""
    return SimpleNamespace(
        **LoanContract.product_terms(product)
        | {
            "amortization": row.method,
            "annual_rate": row.rate,
            "term_months": row.term_months,
            "grace_months": 0,
            "first_due_date": None,
        }
    )


def _book(fund: Fund, plan_: Plan) -> None:
    """Each loan's debt group and what it holds on each control account."""
    worst: dict[int, int] = {}
    for loan in plan_.loans:
        days = max(days_past_due(part.row.oldest_unpaid, plan_.cut_over) for part in loan.parts)
        loan.group = max(loan.product.debt_group_for(days), *(part.row.old_group for part in loan.parts))
        worst[group_key(loan.borrower)] = max(worst.get(group_key(loan.borrower), 1), loan.group)
    for loan in plan_.loans:
        if fund.worst_group_per_borrower:
            loan.group = worst[group_key(loan.borrower)]
        rows = [part.row for part in loan.parts]
        interest = sum((r.interest_accrued + r.interest_overdue for r in rows), ZERO)
        late = sum((r.late_interest + r.penalty for r in rows), ZERO)
        loan.accrual_suspended = loan.group >= fund.non_accrual_from_group
        suspended = (
            interest
            if loan.accrual_suspended
            else min(sum((r.suspended_interest for r in rows), ZERO), interest)
        )
        suspended_late = late if loan.accrual_suspended else ZERO
        outstanding = sum((r.outstanding for r in rows), ZERO)
        loan.booked = Booked(
            principal=sum((r.principal_in_term for r in rows), ZERO),
            overdue_principal=sum((r.principal_overdue for r in rows), ZERO),
            interest_receivable=interest - suspended,
            late_interest_receivable=late - suspended_late,
            suspended_interest=suspended,
            suspended_late=suspended_late,
            specific_provision=sum((r.specific_provision for r in rows), ZERO),
            general_provision=general_provision(outstanding, loan.group, loan.product.general_provision_rate),
        )


# --- the opening entry and the cut-over report ---------------------------------------------


def _entry(portfolio: Portfolio, plan_: Plan) -> None:
    net: dict[str, Decimal] = defaultdict(Decimal)
    loans_by_code: dict[str, Decimal] = defaultdict(Decimal)
    sheet_by_code: dict[str, Decimal] = defaultdict(Decimal)
    for loan in [*plan_.loans, *plan_.written_off]:
        gl = plan_.maps.setdefault(loan.product.pk, accounting.gl_map(loan.product))
        event = accounting.OpeningBalance(loan.booked, plan_.contra, loan.contract)
        # Those that move something: the rules' zero legs, held to the commit, took a tenth of the plan.
        loan.legs = [leg for leg in accounting.legs(event, gl) if leg.amount]
        for leg in loan.legs:
            net[leg.debit] += leg.amount
            net[leg.credit] -= leg.amount
        accounting.brought_in(vars(loan.booked), gl, loans_by_code)
        if isinstance(loan, PlannedWriteOff):
            accounting.brought_in(_written_off_figures(loan.row), gl, sheet_by_code)
        for part in getattr(loan, "parts", []):
            accounting.brought_in(_sheet_figures(part.row), gl, sheet_by_code)
    controls = set(loans_by_code)
    gl_by_code = _accounts(portfolio, controls, plan_)
    for code, balance in gl_by_code.items():
        if code not in controls:
            for leg in accounting.legs(accounting.AccountOpening(code, balance, plan_.contra)):
                net[leg.debit] += leg.amount
                net[leg.credit] -= leg.amount
    plan_.report.controls = [
        ControlLine(code, sheet_by_code.get(code), loans_by_code[code], gl_by_code.get(code, ZERO))
        for code in sorted(controls)
    ]
    for line in plan_.report.controls:
        if line.difference:
            message = _(
                "Account %(code)s: the loans bring in %(loans)s, the opening balances say %(gl)s, "
                "a difference of %(difference)s."
            ) % {
                "code": line.code,
                "loans": format_vnd(line.loans),
                "gl": format_vnd(line.gl),
                "difference": format_vnd(line.difference),
            }
            plan_.errors.append(SheetError.of_file(message))
    residue = net.pop(plan_.contra, ZERO)
    if plan_.contra == CLEARING:
        # The clearing role settles to nothing when the sheet balances and the loans agree with it.
        unbalanced = sum(gl_by_code.values(), ZERO)
        if unbalanced:
            message = _("The opening balances do not balance: debits less credits come to %(difference)s.")
            plan_.errors.append(SheetError.of_file(message % {"difference": format_vnd(unbalanced)}))
    else:
        plan_.report.to_capital = -residue
        net[plan_.contra] = residue
    plan_.lines = [Line(account=code, debit=amount) for code, amount in sorted(net.items()) if amount > 0] + [
        Line(account=code, credit=-amount) for code, amount in sorted(net.items()) if amount < 0
    ]


def _sheet_figures(row: LoanRow) -> dict[str, Decimal]:
    """What the loans sheet itself gives of a loan's control accounts (`Booked` fields): the
    cut-over report sets where the posting rules take them beside what the loans bring in."""
    return {
        "principal": row.principal_in_term,
        "overdue_principal": row.principal_overdue,
        "interest_receivable": row.interest_accrued + row.interest_overdue - row.suspended_interest,
        "late_interest_receivable": row.late_interest + row.penalty,
        "suspended_interest": row.suspended_interest,
        "specific_provision": row.specific_provision,
    }


def _written_off_figures(row: WrittenOffRow) -> dict[str, Decimal]:
    """What the written-off sheet gives of a loan's memo accounts (`Booked` fields)."""
    return {"written_off_principal": row.principal, "written_off_interest": row.interest}


def _accounts(portfolio: Portfolio, controls: set[str], plan_: Plan) -> dict[str, Decimal]:
    """The GL sheet's balances by account, each row checked: a postable account of the chart,
    once; no off-balance account the loans do not post to (they hold the memo accounts of
    suspended interest and of written-off debt)."""
    label = _("Account")
    codes = [row.code for row in portfolio.accounts]
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes).prefetch_related("children")}
    balances: dict[str, Decimal] = {}
    for row in portfolio.accounts:
        account = accounts.get(row.code)
        if account is None or not account.active:
            _refuse(
                plan_,
                ACCOUNTS,
                row.row,
                label,
                _("The chart of accounts has no active account %(code)s.") % {"code": row.code},
            )
        elif account.children.all():
            _refuse(
                plan_,
                ACCOUNTS,
                row.row,
                label,
                _("Account %(code)s has sub-accounts: give theirs.") % {"code": row.code},
            )
        elif row.code in balances:
            _refuse(
                plan_,
                ACCOUNTS,
                row.row,
                label,
                _("Account %(code)s is on an earlier row.") % {"code": row.code},
            )
        elif account.is_off_balance and row.code not in controls:
            _refuse(
                plan_,
                ACCOUNTS,
                row.row,
                label,
                _("Off-balance account %(code)s: no loan brought in posts to it.") % {"code": row.code},
            )
        else:
            balances[row.code] = row.balance
    return balances
