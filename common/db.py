"""A database cursor for the few statements that run on every money event (posting an entry,
recording a repayment): prepared once per connection on PostgreSQL."""

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

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
