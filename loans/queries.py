"""How a money event holds a loan, and the statements behind every repayment, written out
because every repayment runs them.

Through the ORM a repayment spent most of its time in Python building queries and model
instances (django-money's manager and money fields are costly): some 25 ms for a few ms of
database work, against a target of at least 1 000 repayments a second (DESIGN.md). So what the
usual repayment reads and writes is plain SQL here:

- `lock_loan`: the loan row locked, then read with its contract terms, its product's GL map and
  its books: how every money event (tranche, repayment, reversal) holds a loan; `lock_loans`
  several, in id order; both hold the day first (`_day_first`);
- `fund_day`: the fund's business date and lending accounts, and a repayment already recorded
  with the idempotency key (read after the lock, so a twin that committed meanwhile is seen);
- `events`: a sub-loan's authorized tranches and posted repayments, for the replay;
  `events_and_balance` with its current stored balances row too, and `end_balance` to close it;
- `insert`: a new row for a model instance, as `save()` would write it; `insert_values` the same
  from plain values, without building the instance (a balances row).

Values read come back through Django's own converters (`_fetch`), so they are what the ORM
would have read, on SQLite and PostgreSQL alike; values written are what `save()` would send
(see `insert`). `lock_loan` and `events` serve every money event (disbursements and reversals too)
and every replay a page makes; what is off the usual path (re-posting earlier repayments after a
back-dated one or a reversal, storing a schedule version) stays on the ORM, and so do the
changes that need the model instance, holding the loan with `lock_loan_row`. Tables and columns
are named from the models' metadata (`_names`), never written out.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import JSONField, Model
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from common.db import among, prepared_cursor
from common.money import amount_of
from fund import accounting
from fund.accounting import Booked, GLMap
from fund.models import Borrower, Fund, LoanProduct
from fund.selectors import current_fund
from ledger.models import Account
from loans.domain.engine import Balance, Opening, Payment, Tranche
from loans.models import (
    Disbursement,
    DisbursementShare,
    Loan,
    LoanBalance,
    LoanContract,
    LoanOpening,
    LoanStatus,
    LoanTransaction,
    Repayment,
)
from loans.models.actions import ActionKind, ActionStatus, LoanAction
from loans.models.money import CONTROL_COLUMNS


def _names(model: type[Model]) -> dict[str, str]:
    """The model's table (`"table"`) and each field's column, by field name: SQL here names no
    table or column itself."""
    meta = model._meta
    return {"table": meta.db_table} | {field.name: field.column for field in meta.concrete_fields}


# Named as the statements below alias them.
_L, _B, _P, _A, _C, _F = map(_names, (Loan, Borrower, LoanProduct, Account, LoanContract, Fund))
_D, _S, _R, _LB = map(_names, (Disbursement, DisbursementShare, Repayment, LoanBalance))
_T, _O, _LA = _names(LoanTransaction), _names(LoanOpening), _names(LoanAction)

# The applied actions a replay takes as events: they change what the loan owes from their date.
REPLAYED = (ActionKind.EXTENSION, ActionKind.RESCHEDULING, ActionKind.WAIVER)


@dataclass(frozen=True)
class ServicedLoan:
    """A loan locked for a money event: what checking, replaying and posting one needs."""

    pk: int
    status: str
    created_at: datetime
    accrual_suspended: bool  # interest is income only when paid (close of day's non-accrual)
    is_group_loan: bool
    # Its number and terms, read like a LoanContract (but its amount a Decimal); None until signed.
    contract: SimpleNamespace | None
    gl: GLMap  # the accounts its product posts to
    # What its sub-ledger held when it was locked (`booked`; None: not read, as close of day's).
    booked: Booked | None = None
    # Whether it has applied actions the replay takes (`REPLAYED`): without, a money event
    # need not read them (`replaying.changes_of`). True when not read (close of day's).
    has_changes: bool = True

    reference = property(Loan.reference.fget)  # "HS-<year>-<id>", the loan's own

    def get_status_display(self) -> str:
        return LoanStatus(self.status).label


_CONTRACT = (
    "number",
    "signed_on",
    "amount",
    "annual_rate",
    "term_months",
    "amortization",
    "principal_frequency",
    "interest_frequency",
    "grace_months",
    "first_due_date",
    "day_count",
    "overdue_multiplier",
    "unpaid_interest_rate",
    "allocation_order",
    "interest_to_moved_date",
)
_GL = accounting.product_fields()
_LOCK_FIELDS = (
    Loan._meta.get_field("id"),
    Loan._meta.get_field("status"),
    Loan._meta.get_field("created_at"),
    Loan._meta.get_field("accrual_suspended"),
    Borrower._meta.get_field("type"),
    *(LoanContract._meta.get_field(name) for name in _CONTRACT),
    *(Account._meta.get_field("code") for _name in _GL),
)
# A loan's sub-ledger summed: every repayment needs it (what is accrued, what is suspended), so
# `lock_loan` reads it with the loan, after the lock (`_BOOKED` for many loans).
_BOOKED_FIELDS = tuple(LoanTransaction._meta.get_field(name) for name in ("principal", *CONTROL_COLUMNS))
_BOOKED_SUMS = ", ".join(f"SUM(t.{field.column}) s{index}" for index, field in enumerate(_BOOKED_FIELDS))
_BOOKED_OF_LOAN = f"SELECT t.{_T['loan']} loan, {_BOOKED_SUMS} FROM {_T['table']} t WHERE t.{_T['loan']} = %s"
_GL_JOINS = "".join(
    f"  JOIN {_A['table']} gl_{name} ON gl_{name}.{_A['id']} = p.{_P[field]}\n" for name, field in _GL.items()
)
_LOCK_ONE = f"SELECT l.{_L['id']} FROM {_L['table']} l WHERE l.{_L['id']} = %s"
_LOCK = f"""
SELECT l.{_L["id"]}, l.{_L["status"]}, l.{_L["created_at"]}, l.{_L["accrual_suspended"]}, b.{_B["type"]},
       {", ".join(f"c.{_C[name]}" for name in _CONTRACT)},
       {", ".join(f"gl_{name}.{_A['code']}" for name in _GL)},
       {", ".join(f"bk.s{index}" for index in range(len(_BOOKED_FIELDS)))},
       EXISTS (SELECT 1 FROM {_LA["table"]} a WHERE a.{_LA["loan"]} = l.{_L["id"]} AND a.{_LA["status"]} = %s
                  AND a.{_LA["kind"]} IN ({", ".join(["%s"] * len(REPLAYED))}))
  FROM {_L["table"]} l
  JOIN {_B["table"]} b ON b.{_B["id"]} = l.{_L["borrower"]}
  JOIN {_P["table"]} p ON p.{_P["id"]} = l.{_L["product"]}
{_GL_JOINS}  LEFT JOIN {_C["table"]} c ON c.{_C["loan"]} = l.{_L["id"]}
  LEFT JOIN ({_BOOKED_OF_LOAN} GROUP BY t.{_T["loan"]}) bk ON bk.loan = l.{_L["id"]}
 WHERE l.{_L["id"]} = %s"""


def lock_loan(loan_id: int) -> ServicedLoan:
    """The loan, its row locked until the transaction ends: every money event on a loan holds it
    so, and two events on one loan queue. Raises Loan.DoesNotExist if there is no such loan.
    Call inside `transaction.atomic()`.

    Locked by one statement, read by the next: a statement reads what was committed when it
    began, so read with the lock it would miss what the event it waited for has just posted
    (its sub-ledger lines: the books a repayment allocates against)."""
    if lock := _lock_clause():
        _fetch(_LOCK_ONE + _day_first() + lock, [loan_id], ())
    return read_loan(loan_id)


def read_loan(loan_id: int) -> ServicedLoan:
    """`lock_loan` without the lock: what a page shows before a money event is confirmed, while
    another event may hold the loan."""
    params = [ActionStatus.APPLIED, *REPLAYED, loan_id, loan_id]
    rows = _fetch(_LOCK, params, (*_LOCK_FIELDS, *_BOOKED_FIELDS, None))
    if not rows:
        raise Loan.DoesNotExist(f"No loan {loan_id}.")
    *row, principal = rows[0][: -len(CONTROL_COLUMNS) - 1]
    loan = _serviced(tuple(row))
    controls, has_changes = rows[0][-len(CONTROL_COLUMNS) - 1 : -1], rows[0][-1]
    return replace(loan, booked=_booked(principal, controls), has_changes=bool(has_changes))


# `_LOCK` for many loans: each loan's product instead of its GL map (read once per product).
# The ids bound the contracts and the borrowers too (each by its index, as its own subquery):
# joined by the loans alone, each chunk of a close would read every contract and borrower.
_LOCK_MANY_SERVICED = f"""
SELECT l.{_L["id"]}, l.{_L["status"]}, l.{_L["created_at"]}, l.{_L["accrual_suspended"]},
       (SELECT b.{_B["type"]} FROM {_B["table"]} b WHERE b.{_B["id"]} = l.{_L["borrower"]}),
       {", ".join(f"c.{_C[name]}" for name in _CONTRACT)}, l.{_L["product"]}
  FROM {_L["table"]} l
  LEFT JOIN {_C["table"]} c ON c.{_C["loan"]} = l.{_L["id"]} AND c.{_C["loan"]} {{ids}}
 WHERE l.{_L["id"]} {{ids}}
 ORDER BY l.{_L["id"]}"""


def lock_serviced_loans(loan_ids) -> dict[int, ServicedLoan]:
    """`lock_loan` for many loans at once, locked in id order (as `lock_loans`): close of day
    holds a chunk's loans so, in one statement."""
    answer = {}
    connection = connections[DEFAULT_DB_ALIAS]
    converters = _converters(connection.vendor, _LOCK_FIELDS[: -len(_GL)])
    ids, params = among(loan_ids)
    with connection.cursor() as cursor:  # once a chunk: Django's cursor, not a prepared one
        cursor.execute(_LOCK_MANY_SERVICED.format(ids=ids) + _lock_clause(), params * 2)
        rows = cursor.fetchall()
    maps = _gl_maps({row[-1] for row in rows})
    for *row, product_id in rows:
        values = _convert(tuple(row), converters, connection) if converters else tuple(row)
        loan = _serviced(values, maps[product_id])  # with its map: no account codes in the row
        answer[loan.pk] = loan
    return answer


def _gl_maps(product_ids) -> dict[int, GLMap]:
    """The products' GL maps: their account ids, then those accounts' codes. Two small queries,
    not a product joined with its 15 accounts: that join is costly to plan, and one run of it in
    the test suite was seen to spin for 14 minutes."""
    ids = [f"{field}_id" for field in _GL.values()]
    products = list(LoanProduct.objects.filter(pk__in=product_ids).values_list("pk", *ids))
    codes = Account.objects.filter(pk__in={pk for _product, *accounts in products for pk in accounts})
    code = dict(codes.values_list("pk", "code"))
    return {pk: GLMap(**dict(zip(_GL, map(code.get, accounts), strict=True))) for pk, *accounts in products}


# Close of day's finish sums the closed day's rows (the portfolio summary) and moves the
# business date (`closing.runs.finish_run`); a money event under way must be in that sum, or
# read the next business date (and so be back-dated to the day summed, which drops its summary,
# as any back-dated event does). So every money event holds the day shared, from before it reads
# the business date to its commit, and the finish holds it alone: an advisory lock, not the
# fund's row, so that imports holding it for minutes keep no fund-wide change waiting and new
# events queue behind a finish waiting for it (PostgreSQL grants a row's share lock past a
# waiting update). SQLite runs one writer at a time.
_THE_DAY = 0x434C4F5345  # "CLOSE"


def _day_first() -> str:
    """The day held shared before the loan is read (a one-time filter, run first)."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return ""
    # A scalar subquery: PostgreSQL drops an EXISTS subquery's select list unevaluated.
    return f" AND (SELECT pg_advisory_xact_lock_shared({_THE_DAY})::text) IS NOT NULL"


def hold_the_day_shared() -> None:
    """What `lock_loan` takes first, for a transaction that writes loans' balances without it
    (a portfolio brought in, or its undoing). Call inside `transaction.atomic()`."""
    _hold("pg_advisory_xact_lock_shared")


def hold_the_day_alone() -> None:
    """Wait until every money event under way has committed, and keep new ones waiting until
    this transaction ends: close of day's finish. Call inside `transaction.atomic()`."""
    _hold("pg_advisory_xact_lock")


def _hold(function: str) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}({_THE_DAY})")


def _lock_clause() -> str:
    # SQLite has no row locks: its IMMEDIATE transactions already run one writer at a time.
    return " FOR UPDATE OF l" if connections[DEFAULT_DB_ALIAS].features.has_select_for_update_of else ""


def _serviced(row: tuple, gl: GLMap | None = None) -> ServicedLoan:
    """The loan of a `lock_loan` row; `gl`: its product's map when read already (one object
    a product: the posting rules look a map's roles up by it), and then the row may end before
    the account codes."""
    pk, status, created_at, accrual_suspended, borrower_type, *values = row
    contract, codes = values[: len(_CONTRACT)], values[len(_CONTRACT) :]
    return ServicedLoan(
        pk=pk,
        status=status,
        created_at=created_at,
        accrual_suspended=accrual_suspended,
        is_group_loan=borrower_type == Borrower.Type.HOUSEHOLD_GROUP,
        contract=SimpleNamespace(**dict(zip(_CONTRACT, contract, strict=True))) if contract[0] else None,
        gl=gl or GLMap(**dict(zip(_GL, codes, strict=True))),
    )


_LOCK_MANY = (
    f"SELECT {_L['id']} FROM {_L['table']} WHERE {_L['id']} {{ids}}{{day}} ORDER BY {_L['id']} FOR UPDATE"
)


def lock_loans(loan_ids) -> None:
    """Lock the loans' rows until the transaction ends, in id order: for one transaction that
    will take several loans' money events in turn (an import), so that it holds them all before
    the year's entry counter, which its first posting takes and keeps to commit. Otherwise it
    would wait for a loan's lock holding the counter, while that loan's holder waits for the
    counter. Each `lock_loan` after this re-locks a row already held. Call inside
    `transaction.atomic()`."""
    loan_ids = sorted(set(loan_ids))
    connection = connections[DEFAULT_DB_ALIAS]
    # SQLite has no row locks (see `lock_loan`).
    if not loan_ids or not connection.features.has_select_for_update:
        return
    # Once an import or a close of day's chunk: Django's own cursor, not a prepared statement.
    ids, params = among(loan_ids, connection)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_MANY.format(ids=ids, day=_day_first()), params)


def lock_loan_row(loan_id: int) -> Loan:
    """The loan as a model instance, with its product and borrower, its row locked until the
    transaction ends: for the changes that go through the ORM (an application's terms, appraisal,
    decisions, the contract). Money events hold a loan with `lock_loan`."""
    return Loan.objects.select_for_update(of=("self",)).select_related("product", "borrower").get(pk=loan_id)


@dataclass(frozen=True)
class FundDay:
    business_date: date
    opened_on: date
    lending_accounts: list[Account]
    recorded: int | None  # the id of the repayment recorded with the key asked about, if any


_ACCOUNT_FIELDS = tuple(Account._meta.concrete_fields)
_FUND_DAY_FIELDS = (
    Fund._meta.get_field("business_date"),
    Fund._meta.get_field("opened_on"),
    *_ACCOUNT_FIELDS,
    Repayment._meta.get_field("id"),
)
_LENDING = Fund._meta.get_field("lending_accounts")
# One fund per installation (a constraint keeps it so); `current_fund()` takes the first.
_FUND_DAY = f"""
SELECT f.{_F["business_date"]}, f.{_F["opened_on"]},
       {", ".join(f"a.{field.column}" for field in _ACCOUNT_FIELDS)},
       (SELECT r.{_R["id"]} FROM {_R["table"]} r WHERE r.{_R["idempotency_key"]} = %s)
  FROM (SELECT {_F["id"]}, {_F["business_date"]}, {_F["opened_on"]}
          FROM {_F["table"]} ORDER BY {_F["id"]} LIMIT 1) f
  LEFT JOIN {_LENDING.m2m_db_table()} fa ON fa.{_LENDING.m2m_column_name()} = f.{_F["id"]}
  LEFT JOIN {_A["table"]} a ON a.{_A["id"]} = fa.{_LENDING.m2m_reverse_name()}
 ORDER BY a.{_A["code"]}
"""


def fund_day(idempotency_key: str) -> FundDay:
    """The fund's business date and the accounts it lends from (and takes repayments into),
    and the repayment already recorded with `idempotency_key`."""
    rows = _fetch(_FUND_DAY, [idempotency_key], _FUND_DAY_FIELDS)
    if not rows:
        current_fund()  # no fund is set up: raises FundNotSetUp, with the message pages show
    width = len(_ACCOUNT_FIELDS)
    names = [field.attname for field in _ACCOUNT_FIELDS]
    accounts = [
        Account.from_db(DEFAULT_DB_ALIAS, names, row[2 : 2 + width]) for row in rows if row[2] is not None
    ]
    return FundDay(
        business_date=rows[0][0], opened_on=rows[0][1], lending_accounts=accounts, recorded=rows[0][-1]
    )


_EVENT_FIELDS = (
    Repayment._meta.get_field("id"),
    Repayment._meta.get_field("value_date"),
    Repayment._meta.get_field("amount"),
    Repayment._meta.get_field("prepayment_mode"),
)
# A sub-loan's posted repayments, after its tranches (below); `{share}` picks the sub-loan.
_REPAYMENTS = f"""
SELECT 1, r.{_R["id"]}, r.{_R["value_date"]}, r.{_R["amount"]}, r.{_R["prepayment_mode"]}{{{{steps}}}}
  FROM {_R["table"]} r
 WHERE r.{_R["loan"]} = %s AND r.{_R["share"]} {{share}} AND r.{_R["status"]} = %s
 ORDER BY 1, 2
"""
# A loan brought in at a cut-over date starts from its opening (`LoanOpening`), a tranche
# (kind 0) whose position is in the text column (a tranche's is empty, a repayment's its mode).
_OPENING = f"""
SELECT 0, o.{_O["id"]}, o.{_O["value_date"]}, o.{_O["amount"]}, o.{_O["position"]}{{{{steps}}}}
  FROM {_O["table"]} o
 WHERE o.{_O["loan"]} = %s AND o.{_O["share"]} {{share}}
UNION ALL"""
# Tranches (kind 0) before repayments (kind 1), each in the order they were recorded: the
# engine takes the events of one day in that order.
_EVENTS = f"""{_OPENING.format(share="IS NULL")}
SELECT 0, d.{_D["id"]}, d.{_D["value_date"]}, d.{_D["amount"]}, ''{{steps}}
  FROM {_D["table"]} d
 WHERE d.{_D["loan"]} = %s AND d.{_D["status"]} = %s
UNION ALL{_REPAYMENTS.format(share="IS NULL")}"""
# A household's sub-loan: its part of each tranche, and its own repayments.
_SHARE_EVENTS = f"""{_OPENING.format(share="= %s")}
SELECT 0, d.{_D["id"]}, d.{_D["value_date"]}, s.{_S["amount"]}, ''{{steps}}
  FROM {_S["table"]} s
  JOIN {_D["table"]} d ON d.{_D["id"]} = s.{_S["disbursement"]}
 WHERE d.{_D["loan"]} = %s AND s.{_S["share"]} = %s AND d.{_D["status"]} = %s
UNION ALL{_REPAYMENTS.format(share="= %s")}"""


def events(loan_id: int, share_id: int | None) -> tuple[list[Tranche], list[Payment]]:
    """The sub-loan's authorized tranches and posted repayments, keyed `d<id>` and `r<id>`."""
    sql, params = _events_statement(loan_id, share_id)
    tranches, payments, _current = _events(sql, params, _EVENT_ROW)
    return tranches, payments


@dataclass(frozen=True)
class StoredBalance:
    """A stored balances row as a rewrite needs it: which row, from when, its step figures."""

    pk: int
    valid_from: date
    steps: tuple  # as `Balance.steps`


_STEP_FIELDS = tuple(LoanBalance._meta.get_field(name) for name in Balance.STEPS)
# The current row (kind 2, sorted after the events) in the events' own statement, its step
# figures in columns the events leave NULL. First in the UNION: PostgreSQL types each column
# from the first branch that is not NULL, left to right.
_CURRENT_BALANCE = f"""
SELECT 2, b.{_LB["id"]}, b.{_LB["valid_from"]}, NULL, '', {", ".join(f"b.{f.column}" for f in _STEP_FIELDS)}
  FROM {_LB["table"]} b
 WHERE b.{_LB["loan"]} = %s AND b.{_LB["share"]} {{share}} AND b.{_LB["valid_to"]} IS NULL
UNION ALL"""
_NO_STEPS = ", NULL" * len(_STEP_FIELDS)
_EVENT_ROW = (None, *_EVENT_FIELDS)


def events_and_balance(
    loan_id: int, share_id: int | None
) -> tuple[list[Tranche], list[Payment], StoredBalance | None]:
    """`events`, and the sub-loan's current balances row (valid_to NULL) if it has one: what a
    money event's rewrite of the rows starts from, in the same statement."""
    sql, params = _events_statement(loan_id, share_id, steps=_NO_STEPS)
    if share_id is None:
        sql, params = _CURRENT_BALANCE.format(share="IS NULL") + sql, [loan_id, *params]
    else:
        sql, params = _CURRENT_BALANCE.format(share="= %s") + sql, [loan_id, share_id, *params]
    return _events(sql, params, (*_EVENT_ROW, *_STEP_FIELDS))


# `events_and_balance` for many loans that are not a group's, each row led by its loan.
_MANY_EVENTS = f"""
SELECT 2, b.{_LB["loan"]}, b.{_LB["id"]}, b.{_LB["valid_from"]}, NULL, '',
       {", ".join(f"b.{f.column}" for f in _STEP_FIELDS)}
  FROM {_LB["table"]} b
 WHERE b.{_LB["loan"]} {{ids}} AND b.{_LB["share"]} IS NULL AND b.{_LB["valid_to"]} IS NULL
UNION ALL
SELECT 0, o.{_O["loan"]}, o.{_O["id"]}, o.{_O["value_date"]}, o.{_O["amount"]}, o.{_O["position"]}{_NO_STEPS}
  FROM {_O["table"]} o
 WHERE o.{_O["loan"]} {{ids}} AND o.{_O["share"]} IS NULL
UNION ALL
SELECT 0, d.{_D["loan"]}, d.{_D["id"]}, d.{_D["value_date"]}, d.{_D["amount"]}, ''{_NO_STEPS}
  FROM {_D["table"]} d
 WHERE d.{_D["loan"]} {{ids}} AND d.{_D["status"]} = %s
UNION ALL
SELECT 1, r.{_R["loan"]}, r.{_R["id"]}, r.{_R["value_date"]}, r.{_R["amount"]},
       r.{_R["prepayment_mode"]}{_NO_STEPS}
  FROM {_R["table"]} r
 WHERE r.{_R["loan"]} {{ids}} AND r.{_R["share"]} IS NULL AND r.{_R["status"]} = %s
 ORDER BY 2, 1, 3
"""


def events_of_loans(loan_ids: list[int]) -> dict[int, tuple[list, list, StoredBalance | None]]:
    """`events_and_balance` for many loans that are not a group's (close of day's), in one
    statement: by loan, its tranches, repayments and current row."""
    answer: dict[int, tuple[list, list, StoredBalance | None]] = {}
    fields = (None, *_EVENT_ROW, *_STEP_FIELDS)
    ids, loans = among(loan_ids)
    params = [*loans, *loans, *loans, Disbursement.Status.AUTHORIZED, *loans, Repayment.Status.POSTED]
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:  # once a chunk: Django's cursor, not a prepared one
        cursor.execute(_MANY_EVENTS.format(ids=ids), params)
        rows = cursor.fetchall()
    converters = _converters(connection.vendor, fields)
    for kind, loan_id, pk, value_date, amount, mode, *steps in rows:
        tranches, payments, current = answer.setdefault(loan_id, ([], [], None))
        if converters:
            kind, loan_id, pk, value_date, amount, mode, *steps = _convert(
                (kind, loan_id, pk, value_date, amount, mode, *steps), converters, connection
            )
        if kind == 0:
            tranches.append(_tranche(pk, value_date, amount, mode))
        elif kind == 1:
            payments.append(Payment(f"r{pk}", value_date, amount, mode))
        else:
            answer[loan_id] = (tranches, payments, StoredBalance(pk, value_date, tuple(steps)))
    return answer


def _events_statement(loan_id: int, share_id: int | None, steps: str = "") -> tuple[str, list]:
    authorized, posted = Disbursement.Status.AUTHORIZED, Repayment.Status.POSTED
    if share_id is None:
        return _EVENTS.format(steps=steps), [loan_id, loan_id, authorized, loan_id, posted]
    shares = [loan_id, share_id]
    return _SHARE_EVENTS.format(steps=steps), [*shares, *shares, authorized, *shares, posted]


def _tranche(pk: int, value_date: date, amount, position: str) -> Tranche:
    """A tranche, or a loan's opening at the cut-over date (its position in the text column)."""
    if position:
        return Tranche(f"o{pk}", value_date, amount, Opening.decode(position))
    return Tranche(f"d{pk}", value_date, amount)


def _events(sql: str, params: list, fields: tuple) -> tuple[list, list, StoredBalance | None]:
    tranches, payments, current = [], [], None
    for kind, (pk, value_date, amount, mode, *steps) in _fetch(sql, params, fields, split=True):
        if kind == 0:
            tranches.append(_tranche(pk, value_date, amount, mode))
        elif kind == 1:
            payments.append(Payment(f"r{pk}", value_date, amount, mode))
        else:
            current = StoredBalance(pk, value_date, tuple(steps))
    return tranches, payments, current


_END_BALANCE = f"UPDATE {_LB['table']} SET {_LB['valid_to']} = %s WHERE {_LB['id']} = %s"


def end_balance(pk: int, valid_to: date | None, following: dict | None = None) -> None:
    """Set when the balances row `pk` stops being valid (None: it is the current one again).
    `following`: the row that starts then, by field attname as `insert_values` takes it,
    written with it: on PostgreSQL in the same statement."""
    connection = connections[DEFAULT_DB_ALIAS]
    if following is not None and connection.vendor == "postgresql":
        sql, fields = _end_and_insert_statement()
        defaults = _defaults(LoanBalance)
        with prepared_cursor() as cursor:
            values = [following.get(field.attname, defaults[field.attname]) for field in fields]
            cursor.execute(sql, [valid_to, pk, *values])
        return
    with prepared_cursor() as cursor:
        cursor.execute(_END_BALANCE, [connection.ops.adapt_datefield_value(valid_to), pk])
    if following is not None:
        insert_values(LoanBalance, following)


# PostgreSQL: a batch in one statement (a close of day ends some 10 000 rows at a month end).
_END_BALANCES = (
    f"UPDATE {_LB['table']} b SET {_LB['valid_to']} = e.valid_to"
    f" FROM unnest(%s::bigint[], %s::date[]) AS e(id, valid_to) WHERE b.{_LB['id']} = e.id"
)


def end_balances(ends: list[tuple[date | None, int]]) -> None:
    """`end_balance` for many rows: each (valid_to, pk), each row once, in one batch."""
    if ends:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_END_BALANCES, [[pk for _day, pk in ends], [day for day, _pk in ends]])
            else:
                cursor.executemany(
                    _END_BALANCE, [(connection.ops.adapt_datefield_value(day), pk) for day, pk in ends]
                )


@cache
def _end_and_insert_statement() -> tuple[str, list]:
    """The UPDATE ending a row and the INSERT of the next, as one statement. The new row takes
    its loan from the row ended: so the UPDATE runs first (the current-row unique index then
    sees the old row ended), and should it find no row, the INSERT fails (loan is NOT NULL)."""
    loan = LoanBalance._meta.get_field("loan")
    fields = [field for field in LoanBalance._meta.concrete_fields if not field.primary_key and field != loan]
    columns = ", ".join(field.column for field in (loan, *fields))
    marks = ", ".join(["%s"] * len(fields))
    return (
        f"WITH ended AS ({_END_BALANCE} RETURNING {loan.column})\n"
        f"INSERT INTO {_LB['table']} ({columns}) VALUES ((SELECT {loan.column} FROM ended), {marks})"
    ), fields


def insert(instance: Model) -> Model:
    """Write `instance` as a new row and set its id, the way `save()` would (auto_now_add dates
    included), without building the query each time. Sends no signals: none are connected to
    the models written here."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_statement(type(instance))
    if connection.vendor == "postgresql":
        # psycopg adapts dates, Decimals and strings itself: what each field's preparation would
        # send anyway, without its cost (a tenth of a millisecond a row).
        values = [amount_of(field.pre_save(instance, True)) for field in fields]
    else:
        values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    return instance


def insert_all(instances: list[Model]) -> list[Model]:
    """Write many new instances of one model and set their ids, as `bulk_create` does, but on
    PostgreSQL with COPY, the ids taken from the table's sequence first: `bulk_create` prepares
    every value through its field, the most of an import's writing time. Sends no signals."""
    if not instances:
        return instances
    connection = connections[DEFAULT_DB_ALIAS]
    model = type(instances[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(instances, batch_size=2000)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in (meta.pk, *fields))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(instances)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with _copy(cursor, f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy:
            for pk, instance in zip(ids, instances, strict=True):
                copy.write_row([pk, *(_copied(field, instance, connection) for field in fields)])
    for pk, instance in zip(ids, instances, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = DEFAULT_DB_ALIAS
    return instances


def _copy(cursor, sql: str):
    """A COPY whose data goes to the server from a thread of its own: the rows are made while
    the server takes the ones before (two cores, not one after the other)."""
    return cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor))


def _copied(field, instance: Model, connection):
    """A field's value as COPY takes it: as psycopg adapts it itself, but JSON (wrapped)."""
    value = field.pre_save(instance, True)
    return field.get_db_prep_save(value, connection) if isinstance(field, JSONField) else amount_of(value)


def insert_values(model: type[Model], values: dict) -> None:
    """Write a new row of `model` from plain Python values by field attname (dates, Decimals,
    ints, None): what `insert(model(**values))` writes, fields left out taking their defaults
    (a money column's currency too), without the instance's cost. Both drivers adapt such
    values themselves (Django registers SQLite's adapters for dates and Decimals)."""
    sql, fields = _insert_statement(model)
    defaults = _defaults(model)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [values.get(field.attname, defaults[field.attname]) for field in fields])


def insert_many(model: type[Model], rows: list[dict]) -> None:
    """Write many new rows of `model` from plain values by field attname, as `insert_values`
    writes one (`auto_now_add` dates set to now): on PostgreSQL with COPY, elsewhere with one
    prepared INSERT run for each row. For the bulk of close of day's sub-ledger rows."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    defaults = _defaults(model) | {
        field.attname: now for field in fields if getattr(field, "auto_now_add", False)
    }
    names = [field.attname for field in fields]
    missing = [defaults[name] for name in names]  # each field's value when a row leaves it out
    values = (list(map(row.get, names, missing)) for row in rows)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with _copy(cursor, f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})", list(values)
            )


def insert_columns(model: type[Model], computed: dict[str, str], *, now) -> tuple[str, str, dict]:
    """For an INSERT … SELECT of new rows of `model`: its columns, and what the SELECT gives
    each, `computed` SQL by field attname, every other field its default as `insert_many`
    gives it (`auto_now_add` dates `now`), as named parameters `%(default_<attname>)s`."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = _defaults(model) | {
        field.attname: now for field in fields if getattr(field, "auto_now_add", False)
    }
    connection = connections[DEFAULT_DB_ALIAS]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)

    def default(field) -> str:
        # Typed on PostgreSQL (a NULL in a SELECT list is text there); SQLite's CAST would
        # read a date's text as a number.
        mark = f"%(default_{field.attname})s"
        return f"CAST({mark} AS {field.db_type(connection)})" if connection.vendor == "postgresql" else mark

    values = ", ".join(computed.get(field.attname) or default(field) for field in fields)
    params = {f"default_{f.attname}": defaults[f.attname] for f in fields if f.attname not in computed}
    return columns, values, params


@cache
def _defaults(model: type[Model]) -> dict:
    return {field.attname: field.get_default() for field in model._meta.concrete_fields}


@cache
def _insert_statement(model: type[Model]) -> tuple[str, list]:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connections[DEFAULT_DB_ALIAS].ops.quote_name(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {meta.db_table} ({columns}) VALUES ({marks}) RETURNING {meta.pk.column}", fields


_BOOKED = f"""
SELECT t.{_T["loan"]}, {_BOOKED_SUMS}
  FROM {_T["table"]} t
 WHERE t.{_T["loan"]} {{ids}}{{until}}
 GROUP BY t.{_T["loan"]}
"""


def booked(loan_ids, *, until: date | None = None) -> dict[int, Booked]:
    """What each loan's sub-ledger holds on its control accounts (`fund.accounting.CONTROLS`),
    from its postings dated up to `until` (None: all); a loan with none is not in the answer."""
    ids, params = among(loan_ids)
    sql = _BOOKED.format(ids=ids, until=f" AND t.{_T['value_date']} <= %s" if until is not None else "")
    answer = {}
    for loan_id, (principal, *controls) in _fetch(
        sql, [*params, *([until] if until is not None else [])], (None, *_BOOKED_FIELDS), split=True
    ):
        answer[loan_id] = _booked(principal, controls)
    return answer


def _booked(principal, controls) -> Booked:
    """A `Booked` from the sums of a loan's sub-ledger rows (None: it has none)."""
    if principal is None:
        return Booked()
    held = dict(zip(CONTROL_COLUMNS, controls, strict=True))
    return Booked(principal=principal - held["overdue_principal"], **held)


# --- reading typed rows -------------------------------------------------------------------


def _fetch(sql: str, params: list, fields: tuple, *, split: bool = False) -> list:
    """Run `sql`; each row's values converted as the ORM converts `fields` (None: as it comes).
    `split`: rows as (first value, the converted rest)."""
    connection = connections[DEFAULT_DB_ALIAS]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(connection.vendor, fields)
    if converters:
        rows = [_convert(row, converters, connection) for row in rows]
    if split:
        return [(row[0], row[1:]) for row in rows]
    return rows


@cache
def _converters(vendor: str, fields: tuple) -> list[tuple[int, list, object]]:
    """Per column, the converters the ORM applies to a field read from this kind of database
    (on PostgreSQL, psycopg already gives dates and Decimals: only JSON is left)."""
    connection = connections[DEFAULT_DB_ALIAS]
    found = []
    for index, field in enumerate(fields):
        if field is None:
            continue
        column = field.get_col(field.model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, converters, column))
    return found


def _convert(row: tuple, converters, connection) -> tuple:
    row = list(row)
    for index, functions, column in converters:
        value = row[index]
        for function in functions:
            value = function(value, column, connection)
        row[index] = value
    return tuple(row)
