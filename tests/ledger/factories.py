"""Drafts and postings for the ledger's tests. Entries are only ever made through the service."""

import itertools
from datetime import date
from decimal import Decimal

from ledger.services import EntryDraft, Line, post_entry

_keys = itertools.count(1)
DAY = date(2025, 3, 10)


def key() -> str:
    return f"test:{next(_keys)}"


def draft(
    *,
    amount: int | Decimal = 1_000_000,
    debit: str = "1111",
    credit: str = "41111",
    value_date: date = DAY,
    lines=None,
    idempotency_key: str | None = None,
    memo: str = "Góp vốn điều lệ",
    source_kind: str = "manual",
    source_ref: str = "",
) -> EntryDraft:
    if lines is None:
        lines = [Line(account=debit, debit=Decimal(amount)), Line(account=credit, credit=Decimal(amount))]
    return EntryDraft(
        value_date=value_date,
        memo=memo,
        lines=lines,
        idempotency_key=idempotency_key or key(),
        source_kind=source_kind,
        source_ref=source_ref,
    )


def post(**kwargs):
    return post_entry(draft(**kwargs), created_by=kwargs.pop("created_by", None))


def as_if_committed() -> None:
    """Run the checks PostgreSQL defers to commit now, as a commit between two steps would.

    A test runs in one transaction: without this, an entry posted before a month is closed
    would be checked at the test's end, after the closing. (No-op on SQLite.)
    """
    from django.db import connection

    connection.check_constraints()
