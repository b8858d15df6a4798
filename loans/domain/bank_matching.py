"""Which bank statement line is which transaction of the fund's: pure, no database.

A line and a transaction go the same way (money in: a repayment or capital receipt; money out:
a tranche; either: a journal entry, as it moves the account) and their value dates lie within
the account's window of each other. Then:
- exact: the same amount, and a reference of the transaction (contract number, loan reference,
  the repayment's reference, the receipt's memo, the entry's number) is in the line's
  description or reference;
- suggested: the same amount without a reference, or a reference with another amount; the
  accountant confirms or rejects it;
- otherwise the line stays unmatched.
Each transaction goes to one line at most: exact matches first, over all lines, then suggestions.
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

EXACT, SUGGESTED = "matched", "suggested"
# A reference shorter than this (once reduced to letters and digits) would be found by chance.
MIN_REFERENCE = 4


def reduced(text: str) -> str:
    """Letters and digits only, without accents, upper case: "HĐ-01/2026" and "HD 01 2026" agree,
    as a bank's description often drops accents and punctuation."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain if ch.isalnum() and ch.isascii()).upper()


@dataclass(frozen=True)
class Candidate:
    """A repayment, tranche, capital receipt or journal entry a line could be."""

    kind: str  # "repayment", "disbursement", "capital_receipt" or "journal_entry": the line's column
    pk: int
    credit: bool
    value_date: date
    amount: Decimal
    references: tuple[str, ...]  # already `reduced`

    @classmethod
    def of(
        cls, *, kind: str, pk: int, credit: bool, value_date: date, amount: Decimal, references: Iterable[str]
    ):
        kept = tuple(dict.fromkeys(r for r in map(reduced, references) if len(r) >= MIN_REFERENCE))
        return cls(kind, pk, credit, value_date, amount, kept)


@dataclass(frozen=True)
class LineFacts:
    key: int
    credit: bool
    value_date: date
    amount: Decimal
    text: str  # description and reference

    @cached_property
    def reduced_text(self) -> str:
        return reduced(self.text)

    def cites(self, candidate: Candidate) -> bool:
        return any(reference in self.reduced_text for reference in candidate.references)


def assign(lines: Sequence[LineFacts], candidates: Sequence[Candidate], *, window: int) -> dict:
    """{line key: (EXACT or SUGGESTED, candidate)} for the lines that match; each candidate once."""
    taken: set[tuple[str, int]] = set()
    found: dict[int, tuple[str, Candidate]] = {}

    def near(line: LineFacts) -> list[Candidate]:
        return [
            c
            for c in candidates
            if (c.kind, c.pk) not in taken
            and c.credit == line.credit
            and abs((c.value_date - line.value_date).days) <= window
        ]

    def take(line: LineFacts, status: str, among: list[Candidate]) -> None:
        best = min(among, key=lambda c: (abs((c.value_date - line.value_date).days), c.kind, c.pk))
        taken.add((best.kind, best.pk))
        found[line.key] = (status, best)

    for line in lines:
        exact = [c for c in near(line) if c.amount == line.amount and line.cites(c)]
        if exact:
            take(line, EXACT, exact)
    for line in lines:
        if line.key in found:
            continue
        close = near(line)
        likely = [c for c in close if c.amount == line.amount] or [c for c in close if line.cites(c)]
        if likely:
            take(line, SUGGESTED, likely)
    return found
