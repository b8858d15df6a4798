"""The statements behind every repayment, written out because every repayment runs them.

Through the ORM a repayment spent most of its time in Python building queries and model
instances (django-money's manager and money fields are costly): some 25 ms for a few ms of
database work, against a target of 500 repayments a second (DESIGN.md). So what the usual
repayment reads and writes is plain SQL here:

- `lock_loan`: the loan row locked, with its contract terms and the accounts a repayment posts to;
- `fund_day`: the fund's business date and lending accounts, and a repayment already recorded
  with the idempotency key (read after the lock, so a twin that committed meanwhile is seen);
- `events`: a sub-loan's authorized tranches and posted repayments, for the replay;
- `current_balance`: a sub-loan's current stored balances row, and `end_balance` to close it;
- `insert`: a new row for a model instance, as `save()` would write it; `insert_values` the same
  from plain values, without building the instance (a balances row).

Values read come back through Django's own converters (`_fetch`), so they are what the ORM
would have read, on SQLite and PostgreSQL alike; values written are what `save()` would send
(see `insert`). `lock_loan` and `events` serve every money event (disbursements and reversals too)
and every replay a page makes; what is off the usual path (re-posting earlier repayments after a
back-dated one or a reversal, storing a schedule version) stays on the ORM.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from djmoney.money import Money

from common.db import prepared_cursor
from fund.models import Borrower, Fund
from fund.selectors import current_fund
from ledger.models import Account
from loans.domain.engine import Balance, Payment, Tranche
from loans.models import Disbursement, Loan, LoanBalance, LoanContract, LoanStatus, Repayment


@dataclass(frozen=True)
class ServicedLoan:
    """A loan locked for a money event: what checking, replaying and posting one needs."""

    pk: int
    status: str
    created_at: datetime
    is_group_loan: bool
    contract: SimpleNamespace | None  # its number and terms, read like a LoanContract; None until signed
    principal_account: str  # the codes a repayment credits
    interest_account: str
    late_interest_account: str

    reference = property(Loan.reference.fget)  # "HS-<year>-<id>", the loan's own

    def get_status_display(self) -> str:
        return LoanStatus(self.status).label


_CONTRACT = (
    "number",
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
)
_LOCK_FIELDS = (
    Loan._meta.get_field("id"),
    Loan._meta.get_field("status"),
    Loan._meta.get_field("created_at"),
    Borrower._meta.get_field("type"),
    *(LoanContract._meta.get_field(name) for name in _CONTRACT),
    Account._meta.get_field("code"),
    Account._meta.get_field("code"),
    Account._meta.get_field("code"),
)
_LOCK = f"""
SELECT l.id, l.status, l.created_at, b.type, {", ".join(f"c.{name}" for name in _CONTRACT)},
       principal.code, interest.code, late.code
  FROM loans_loan l
  JOIN fund_borrower b ON b.id = l.borrower_id
  JOIN fund_loanproduct p ON p.id = l.product_id
  JOIN ledger_account principal ON principal.id = p.principal_account_id
  JOIN ledger_account interest ON interest.id = p.interest_income_account_id
  JOIN ledger_account late ON late.id = p.late_interest_income_account_id
  LEFT JOIN loans_loancontract c ON c.loan_id = l.id
 WHERE l.id = %s
"""


def lock_loan(loan_id: int) -> ServicedLoan | None:
    """The loan, its row locked until the transaction ends (two events on one loan queue);
    None if there is no such loan. Call inside `transaction.atomic()`."""
    connection = connections[DEFAULT_DB_ALIAS]
    # SQLite has no row locks: its IMMEDIATE transactions already run one writer at a time.
    lock = " FOR UPDATE OF l" if connection.features.has_select_for_update_of else ""
    rows = _fetch(_LOCK + lock, [loan_id], _LOCK_FIELDS)
    if not rows:
        return None
    pk, status, created_at, borrower_type, *contract, principal, interest, late = rows[0]
    return ServicedLoan(
        pk=pk,
        status=status,
        created_at=created_at,
        is_group_loan=borrower_type == Borrower.Type.HOUSEHOLD_GROUP,
        contract=SimpleNamespace(**dict(zip(_CONTRACT, contract, strict=True))) if contract[0] else None,
        principal_account=principal,
        interest_account=interest,
        late_interest_account=late,
    )


@dataclass(frozen=True)
class FundDay:
    business_date: date
    lending_accounts: list[Account]
    recorded: int | None  # the id of the repayment recorded with the key asked about, if any


_ACCOUNT_FIELDS = tuple(Account._meta.concrete_fields)
_FUND_DAY_FIELDS = (
    Fund._meta.get_field("business_date"),
    *_ACCOUNT_FIELDS,
    Repayment._meta.get_field("id"),
)
# One fund per installation (a constraint keeps it so); `current_fund()` takes the first.
_FUND_DAY = f"""
SELECT f.business_date, {", ".join(f"a.{field.column}" for field in _ACCOUNT_FIELDS)},
       (SELECT r.id FROM loans_repayment r WHERE r.idempotency_key = %s)
  FROM (SELECT id, business_date FROM fund_fund ORDER BY id LIMIT 1) f
  LEFT JOIN fund_fund_lending_accounts fa ON fa.fund_id = f.id
  LEFT JOIN ledger_account a ON a.id = fa.account_id
 ORDER BY a.code
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
        Account.from_db(DEFAULT_DB_ALIAS, names, row[1 : 1 + width]) for row in rows if row[1] is not None
    ]
    return FundDay(business_date=rows[0][0], lending_accounts=accounts, recorded=rows[0][-1])


_EVENT_FIELDS = (
    Repayment._meta.get_field("id"),
    Repayment._meta.get_field("value_date"),
    Repayment._meta.get_field("amount"),
    Repayment._meta.get_field("prepayment_mode"),
)
# Tranches (kind 0) before repayments (kind 1), each in the order they were recorded: the
# engine takes the events of one day in that order.
_EVENTS = """
SELECT 0, d.id, d.value_date, d.amount, ''
  FROM loans_disbursement d
 WHERE d.loan_id = %s AND d.status = %s
UNION ALL
SELECT 1, r.id, r.value_date, r.amount, r.prepayment_mode
  FROM loans_repayment r
 WHERE r.loan_id = %s AND r.share_id IS NULL AND r.status = %s
 ORDER BY 1, 2
"""
# A household's sub-loan: its part of each tranche, and its own repayments.
_SHARE_EVENTS = """
SELECT 0, d.id, d.value_date, s.amount, ''
  FROM loans_disbursementshare s
  JOIN loans_disbursement d ON d.id = s.disbursement_id
 WHERE d.loan_id = %s AND s.share_id = %s AND d.status = %s
UNION ALL
SELECT 1, r.id, r.value_date, r.amount, r.prepayment_mode
  FROM loans_repayment r
 WHERE r.loan_id = %s AND r.share_id = %s AND r.status = %s
 ORDER BY 1, 2
"""


def events(loan_id: int, share_id: int | None) -> tuple[list[Tranche], list[Payment]]:
    """The sub-loan's authorized tranches and posted repayments, keyed `d<id>` and `r<id>`."""
    authorized, posted = Disbursement.Status.AUTHORIZED, Repayment.Status.POSTED
    if share_id is None:
        sql, params = _EVENTS, [loan_id, authorized, loan_id, posted]
    else:
        sql, params = _SHARE_EVENTS, [loan_id, share_id, authorized, loan_id, share_id, posted]
    tranches, payments = [], []
    for kind, (pk, value_date, amount, mode) in _fetch(sql, params, (None, *_EVENT_FIELDS), split=True):
        if kind == 0:
            tranches.append(Tranche(f"d{pk}", value_date, amount))
        else:
            payments.append(Payment(f"r{pk}", value_date, amount, mode))
    return tranches, payments


@dataclass(frozen=True)
class StoredBalance:
    """A stored balances row as a rewrite needs it: which row, from when, its step figures."""

    pk: int
    valid_from: date
    steps: tuple  # as `Balance.steps`


_BALANCE_FIELDS = tuple(LoanBalance._meta.get_field(name) for name in ("id", "valid_from", *Balance.STEPS))
_CURRENT_BALANCE = f"""
SELECT {", ".join(field.column for field in _BALANCE_FIELDS)}
  FROM loans_loanbalance
 WHERE loan_id = %s AND {{share}} AND valid_to IS NULL
"""


def current_balance(loan_id: int, share_id: int | None) -> StoredBalance | None:
    """The sub-loan's current balances row (valid_to NULL), if it has one."""
    if share_id is None:
        sql, params = _CURRENT_BALANCE.format(share="share_id IS NULL"), [loan_id]
    else:
        sql, params = _CURRENT_BALANCE.format(share="share_id = %s"), [loan_id, share_id]
    rows = _fetch(sql, params, _BALANCE_FIELDS)
    if not rows:
        return None
    pk, valid_from, *steps = rows[0]
    return StoredBalance(pk, valid_from, tuple(steps))


def end_balance(pk: int, valid_to: date | None) -> None:
    """Set when the balances row `pk` stops being valid (None: it is the current one again)."""
    with prepared_cursor() as cursor:
        value = connections[DEFAULT_DB_ALIAS].ops.adapt_datefield_value(valid_to)
        cursor.execute("UPDATE loans_loanbalance SET valid_to = %s WHERE id = %s", [value, pk])


def insert(instance: Model) -> Model:
    """Write `instance` as a new row and set its id, the way `save()` would (auto_now_add dates
    included), without building the query each time. Sends no signals: none are connected to
    the models written here."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, fields = _insert_statement(type(instance))
    if connection.vendor == "postgresql":
        # psycopg adapts dates, Decimals and strings itself: what each field's preparation would
        # send anyway, without its cost (a tenth of a millisecond a row).
        values = [_amount(field.pre_save(instance, True)) for field in fields]
    else:
        values = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    return instance


def insert_values(model: type[Model], values: dict) -> None:
    """Write a new row of `model` from plain Python values by field attname (dates, Decimals,
    ints, None): what `insert(model(**values))` writes, fields left out taking their defaults
    (a money column's currency too), without the instance's cost. Both drivers adapt such
    values themselves (Django registers SQLite's adapters for dates and Decimals)."""
    sql, fields = _insert_statement(model)
    defaults = _defaults(model)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [values.get(field.attname, defaults[field.attname]) for field in fields])


@cache
def _defaults(model: type[Model]) -> dict:
    return {field.attname: field.get_default() for field in model._meta.concrete_fields}


def _amount(value):
    return value.amount if isinstance(value, Money) else value


@cache
def _insert_statement(model: type[Model]) -> tuple[str, list]:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connections[DEFAULT_DB_ALIAS].ops.quote_name(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {meta.db_table} ({columns}) VALUES ({marks}) RETURNING {meta.pk.column}", fields


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
