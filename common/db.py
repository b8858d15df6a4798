"""A database cursor for the few statements that run on every money event (posting an entry,
recording a repayment): prepared once per connection on PostgreSQL; a lock not waited for
long (`lock_wait_at_most`, `lock_not_free`); how a statement takes
thousands of ids (`Among`); a filter kept as JSON for a task to apply again (`q_data`); and
`in` on an integer column, or any comparison of a foreign key, leaving out numbers beyond the
column (`IntegerIn`, `KeyIn` and the like)."""

import datetime as dt
import json
from decimal import Decimal

import psycopg
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, Field, ForeignKey, IntegerField, Lookup, Model, Q
from django.db.models.fields.related_lookups import (
    RelatedExact,
    RelatedGreaterThan,
    RelatedGreaterThanOrEqual,
    RelatedIn,
    RelatedLessThan,
    RelatedLessThanOrEqual,
)
from django.db.models.lookups import In, Range

_NEVER_AUTOMATICALLY = 2**62


class _PreparedCursor(psycopg.Cursor):
    """Binds parameters on the server and prepares each statement once per connection:
    these few statements run for every posting, and planning them again each time would
    cost more than running them. (Django's own cursors bind on the client.)"""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor():
    """A cursor on Django's connection (its transaction, error wrapping and query log):
    `with prepared_cursor() as cursor: ...`. On other databases, Django's own cursor."""
    connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy costs a lookup
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns automatic preparation off (for poolers): allow it, on request only.
        raw.prepare_threshold = _NEVER_AUTOMATICALLY
    cursor = _PreparedCursor(raw)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    return wrap(cursor)


def lock_wait_at_most(milliseconds: int) -> None:
    """Until the transaction ends or its savepoint is rolled back, a lock another transaction
    holds for longer raises (`lock_not_free`) instead of being waited for: what a page only
    shows need not queue behind an import holding a loan for minutes. PostgreSQL's
    `lock_timeout`; SQLite has no row locks."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])


def lock_not_free(error: Exception) -> bool:
    """Whether the database refused `error`'s statement because a lock was not free in time."""
    return isinstance(error.__cause__, psycopg.errors.LockNotAvailable)


class Among(Lookup):
    """`filter(Among("loan_id", ids))`: the field is one of many ids, in one parameter (`among`)."""

    lookup_name = "among"
    prepare_rhs = False

    def __init__(self, field, ids):
        super().__init__(F(field) if isinstance(field, str) else field, ids)

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        sql, ids = among(self.rhs, connection)
        return f"{lhs} {sql}", [*params, *ids]


def among(ids, connection=None) -> tuple[str, list]:
    """SQL that follows a column to say it is one of `ids`, and its one parameter: an array on
    PostgreSQL (`= ANY`), JSON text elsewhere (SQLite's `json_each`). Thousands of placeholders
    cost more to send and parse than the statement's work, and SQLite caps their number."""
    ids = [int(pk) for pk in ids]
    if (connection or connections[DEFAULT_DB_ALIAS]).vendor == "postgresql":
        # As the array's text: psycopg dumps a list one element at a time, about 6 times as
        # long for a close of day chunk's 5 000 ids.
        return "= ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]


class _WithinTheColumn:
    """A number beyond the integer column a lookup compares is settled before the SQL, as Django's
    own `exact`, `lt` and the like on an integer field settle it (`IntegerFieldOverflow`): SQLite
    cannot even bind one (OverflowError, a 500 for a form, an admin action or an admin list's
    query string naming such an id), and PostgreSQL would compare the column as numeric, without
    its index."""

    underflow_exception = overflow_exception = EmptyResultSet

    def column(self):
        return self.lhs.output_field

    def column_range(self, connection) -> tuple[int | None, int | None]:
        column = self.column()
        if not isinstance(column, IntegerField):
            return None, None
        return connection.ops.integer_field_range(column.get_internal_type())

    def process_rhs(self, compiler, connection):
        if isinstance(self.rhs, int):
            low, high = self.column_range(connection)
            if low is not None and self.rhs < low:
                raise self.underflow_exception
            if high is not None and self.rhs > high:
                raise self.overflow_exception
        return super().process_rhs(compiler, connection)

    def batch_process_rhs(self, compiler, connection, rhs=None):
        # `in`: the numbers beyond the column are among nothing.
        low, high = self.column_range(connection)
        rhs = [
            value
            for value in rhs
            if not isinstance(value, int) or (low is None or value >= low) and (high is None or value <= high)
        ]
        if not rhs:
            raise EmptyResultSet
        return super().batch_process_rhs(compiler, connection, rhs)


@IntegerField.register_lookup
class IntegerIn(_WithinTheColumn, In):
    """Django's `in`, but a number beyond the column's range matches nothing. Text that is no
    number at all (`abc` typed in an admin autocomplete field, or posted as an admin action's
    selection) matches nothing too, where Django's `in` raised ValueError: a 500 for the form
    shown again with its error, or for the action. Anything else `int()` refuses (a row) is
    still an error."""

    def get_prep_lookup(self):
        if not hasattr(self.rhs, "resolve_expression"):
            field = self.lhs.output_field
            self.rhs = [
                value for value in self.rhs if hasattr(value, "resolve_expression") or _a_number(field, value)
            ]
        return super().get_prep_lookup()


class _OnTheKey(_WithinTheColumn):
    """A foreign key's lookups (`source=`, `source__in=`, `source__lt=`) compare the key it refers
    to: a number beyond that key's column is settled as on the column itself."""

    def column(self):
        return self.lhs.output_field.target_field


@ForeignKey.register_lookup
class KeyExact(_OnTheKey, RelatedExact):
    pass


@ForeignKey.register_lookup
class KeyIn(_OnTheKey, RelatedIn):
    pass


@ForeignKey.register_lookup
class KeyLessThan(_OnTheKey, RelatedLessThan):
    overflow_exception = FullResultSet


@ForeignKey.register_lookup
class KeyLessThanOrEqual(_OnTheKey, RelatedLessThanOrEqual):
    overflow_exception = FullResultSet


@ForeignKey.register_lookup
class KeyGreaterThan(_OnTheKey, RelatedGreaterThan):
    underflow_exception = FullResultSet


@ForeignKey.register_lookup
class KeyGreaterThanOrEqual(_OnTheKey, RelatedGreaterThanOrEqual):
    underflow_exception = FullResultSet


@Field.register_lookup
class TwoBounds(Range):
    """Django's `range`, refusing anything but two bounds when the filter is made (a ValueError,
    which an admin list turns into its "?e=1" page) rather than when the query runs: an admin
    list's `?status__range=abc` was a 500, and `?status__range=ab` a range from "a" to "b"."""

    def get_prep_lookup(self):
        if not hasattr(self.rhs, "resolve_expression") and (isinstance(self.rhs, str) or len(self.rhs) != 2):
            raise ValueError("A range takes two bounds.")
        return super().get_prep_lookup()


def _a_number(field, value) -> bool:
    try:
        field.get_prep_value(value)
    except ValueError:
        return False
    return True


def q_data(q: Q | None) -> dict | None:
    """A filter as JSON, for a task to apply the same one later (`q_from_data`): a row stands
    for its primary key, a date for its ISO text, which its lookup takes as well."""
    if q is None:
        return None
    children = [
        q_data(child) if isinstance(child, Q) else [child[0], _json_value(child[1])] for child in q.children
    ]
    return {"connector": q.connector, "negated": q.negated, "children": children}


def q_from_data(data: dict | None) -> Q | None:
    if data is None:
        return None
    children = [q_from_data(child) if isinstance(child, dict) else tuple(child) for child in data["children"]]
    return Q(*children, _connector=data["connector"], _negated=data["negated"])


def _json_value(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, dt.date | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a filter on {type(value).__name__} cannot be kept as JSON")
