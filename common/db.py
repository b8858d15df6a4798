"""A database cursor for the few statements that run on every money event (posting an entry,
recording a repayment): prepared once per connection on PostgreSQL; how a statement takes
thousands of ids (`Among`); a filter kept as JSON for a task to apply again (`q_data`); and
`in` on an integer column leaving out numbers beyond the column (`IntegerIn`)."""

import datetime as dt
import json
from decimal import Decimal

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import F, IntegerField, Lookup, Model, Q
from django.db.models.lookups import In

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


@IntegerField.register_lookup
class IntegerIn(In):
    """Django's `in`, but a number beyond the column's range matches nothing, as Django's own
    `exact`, `lt` and the like already treat it: SQLite cannot even bind one (`pk__in=[10**30]`
    raised OverflowError, a 500 for a form or an admin action naming such an id), and PostgreSQL
    would compare the column as numeric, without its index. Text that is no number at all
    (`abc` typed in an admin autocomplete field, or posted as an admin action's selection)
    matches nothing too, where Django's `in` raised ValueError: a 500 for the form shown again
    with its error, or for the action. Anything else `int()` refuses (a row) is still an error."""

    def get_prep_lookup(self):
        if not hasattr(self.rhs, "resolve_expression"):
            field = self.lhs.output_field
            self.rhs = [
                value for value in self.rhs if hasattr(value, "resolve_expression") or _a_number(field, value)
            ]
        return super().get_prep_lookup()

    def batch_process_rhs(self, compiler, connection, rhs=None):
        low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
        rhs = [
            value
            for value in rhs
            if not isinstance(value, int) or (low is None or value >= low) and (high is None or value <= high)
        ]
        if not rhs:
            raise EmptyResultSet
        return super().batch_process_rhs(compiler, connection, rhs)


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
