"""What a poster hands the ledger: an entry's draft and its lines, plain values with no database.

Posting rules elsewhere (`fund.accounting`) build these without reaching into the ledger's
services; `ledger.services.posting` checks and writes them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.models.journal import SOURCE_MANUAL


@dataclass(frozen=True)
class Line:
    """One debit or one credit, in positive whole đồng, on a postable account (by code)."""

    account: str
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    reference: str = ""


@dataclass(frozen=True)
class EntryDraft:
    value_date: date
    memo: str
    lines: Sequence[Line]
    idempotency_key: str
    source_kind: str = SOURCE_MANUAL
    source_ref: str = ""
