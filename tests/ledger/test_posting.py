from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from ledger.models import Account, JournalEntry, JournalLine, JournalSequence, PostedRowError
from ledger.services import (
    Line,
    close_period,
    journal_sql,
    post_entries,
    post_entry,
    reverse_entry,
    what_it_would_post,
)
from tests.ledger.factories import DAY, as_if_committed, draft, post

pytestmark = pytest.mark.django_db


def rows_written():
    counters = list(JournalSequence.objects.values_list())
    return JournalEntry.objects.count(), JournalLine.objects.count(), counters


def two(debit, credit, *, debit_account="1111", credit_account="41111"):
    """A debit line and a credit line with the given amounts."""
    return [Line(debit_account, debit=debit), Line(credit_account, credit=credit)]


def test_an_entry_is_posted_with_its_lines_number_and_author(accountant):
    entry = post_entry(draft(amount=2_500_000), created_by=accountant)
    entry.refresh_from_db()
    assert entry.number == "2025-000001"
    assert entry.created_by == accountant
    assert entry.value_date == DAY
    lines = list(entry.lines.values_list("account__code", "debit", "credit", "value_date"))
    assert lines == [("1111", Decimal(2_500_000), 0, DAY), ("41111", 0, Decimal(2_500_000), DAY)]


def test_the_returned_entry_is_the_stored_one():
    entry = post(amount=10, memo="  spaced memo ")
    stored = JournalEntry.objects.get(pk=entry.pk)
    for field in ("year", "sequence", "value_date", "memo", "source_kind", "idempotency_key", "created_at"):
        assert getattr(entry, field) == getattr(stored, field), field
    assert stored.memo == "spaced memo"


def test_numbers_run_per_year_of_the_value_date():
    numbers = [
        post(value_date=date(2025, 12, 31)).number,
        post(value_date=date(2026, 1, 1)).number,
        post(value_date=date(2025, 6, 1)).number,
        post(value_date=date(2026, 2, 1)).number,
    ]
    assert numbers == ["2025-000001", "2026-000001", "2025-000002", "2026-000002"]


def test_a_rolled_back_posting_gives_its_number_back():
    post()
    with transaction.atomic():
        assert post().number == "2025-000002"
        transaction.set_rollback(True)
    assert post().number == "2025-000002"


D = Decimal
REFUSALS = [
    # (what, draft arguments, field, words in the message)
    ("unbalanced", {"lines": two(D(100), D(99))}, "lines", "does not balance"),
    ("one line", {"lines": [Line("1111", debit=D(100))]}, "lines", "at least two lines"),
    ("no lines", {"lines": []}, "lines", "at least two lines"),
    ("negative", {"lines": two(D(-100), D(-100))}, "lines", "cannot be negative"),
    ("both sides", {"lines": [Line("1111", debit=D(5), credit=D(5)), Line("41111")]}, "lines", "not both"),
    ("neither side", {"lines": [Line("1111"), Line("41111")]}, "lines", "either a debit or a credit"),
    ("fractional", {"lines": two(D("0.5"), D("0.5"))}, "lines", "whole đồng"),
    ("float", {"lines": two(100.0, 100.0)}, "lines", "never float"),
    ("too large", {"amount": D(10) ** 18}, "lines", "too large"),
    ("unknown account", {"debit": "9999"}, "lines", "no account 9999"),
    ("a parent account", {"debit": "112"}, "lines", "has sub-accounts"),
    ("datetime value date", {"value_date": datetime(2025, 3, 10, 8, 0)}, "value_date", "must be a date"),
    ("no memo", {"memo": "  "}, "memo", "memo"),
    ("memo too long", {"memo": "x" * 501}, "memo", "At most 500"),
    ("no key", {"idempotency_key": " "}, "idempotency_key", "idempotency key"),
    ("no account code", {"debit": ""}, "lines", "choose an account"),
]


@pytest.mark.parametrize(("what", "arguments", "field", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_drafts_are_refused_with_a_clear_message_and_leave_nothing(what, arguments, field, words):
    post()  # something already in the books, so "nothing written" is not just "empty"
    before = rows_written()
    with pytest.raises(ValidationError) as refused:
        post_entry(draft(**arguments), created_by=None)
    messages = refused.value.message_dict[field]
    assert any(words in message for message in messages), messages
    assert rows_written() == before


def test_every_problem_is_reported_at_once():
    bad = draft(
        memo="",
        lines=[Line("112", debit=D(100)), Line("9999", credit=D("1.5")), Line("41111", credit=D(3))],
    )
    with pytest.raises(ValidationError) as refused:
        post_entry(bad, created_by=None)
    errors = refused.value.message_dict
    assert errors["memo"] == ["Enter a memo."]
    assert errors["lines"] == [
        "Line 2: amounts are whole đồng, without decimals.",
        "Line 1: account 112 has sub-accounts; post to one of them.",
        "Line 2: there is no account 9999.",
    ]


def test_the_imbalance_message_gives_the_amounts():
    with pytest.raises(ValidationError) as refused:
        post(lines=two(D(1_500_000), D(1_000_000)))
    assert refused.value.message_dict["lines"] == [
        "The entry does not balance: debits 1,500,000\xa0VND, credits 1,000,000\xa0VND"
        " (difference 500,000\xa0VND)."
    ]


def test_an_inactive_account_is_refused():
    Account.objects.filter(code="4118").update(active=False)
    with pytest.raises(ValidationError, match="account 4118 is inactive"):
        post(credit="4118")


def test_a_closed_month_is_refused(accountant):
    close_period(actor=accountant, year=2025, month=3)
    with pytest.raises(ValidationError) as refused:
        post(value_date=date(2025, 3, 31))
    assert refused.value.message_dict["value_date"] == [
        "03/2025 is closed: reopen it or choose a date in an open month."
    ]
    assert post(value_date=date(2025, 4, 1)).number == "2025-000001"


def test_reposting_a_known_key_returns_the_posted_entry_and_writes_nothing():
    first = post_entry(same := draft(), created_by=None)
    before = rows_written()
    again = post_entry(same, created_by=None)
    assert again.pk == first.pk and again.number == first.number
    assert rows_written() == before


def test_a_known_key_with_other_lines_is_refused():
    first = post(idempotency_key="repayment:42", amount=100)
    with pytest.raises(ValidationError) as refused:
        post(idempotency_key="repayment:42", amount=101)
    assert refused.value.message_dict["idempotency_key"] == [
        f"The key repayment:42 was already used for entry {first.number}, with other lines or another date."
    ]


def test_a_batch_is_posted_in_order_with_consecutive_numbers():
    drafts = [draft(amount=n) for n in range(1, 6)]
    entries = post_entries(drafts, created_by=None)
    assert [e.number for e in entries] == [f"2025-00000{n}" for n in range(1, 6)]
    assert [e.idempotency_key for e in entries] == [d.idempotency_key for d in drafts]
    assert [e.lines.get(debit__gt=0).debit.amount for e in entries] == [1, 2, 3, 4, 5]


def test_one_bad_draft_refuses_the_whole_batch_naming_it():
    before = rows_written()
    drafts = [draft(), draft(idempotency_key="close-of-day:7", debit="128"), draft()]
    with pytest.raises(ValidationError) as refused:
        post_entries(drafts, created_by=None)
    assert refused.value.messages == [
        "Entry 2 (close-of-day:7): Line 1: account 128 has sub-accounts; post to one of them."
    ]
    assert rows_written() == before


def test_a_batch_returns_known_keys_in_place_and_refuses_a_key_twice():
    known = post(idempotency_key="k-known")
    entries = post_entries([draft(), draft(idempotency_key="k-known"), draft()], created_by=None)
    assert entries[1].pk == known.pk
    assert [e.sequence for e in entries] == [2, 1, 3]
    twice = [draft(idempotency_key="k-twice"), draft(idempotency_key="k-twice")]
    with pytest.raises(ValidationError, match="appears twice"):
        post_entries(twice, created_by=None)


def test_an_empty_batch_posts_nothing():
    assert post_entries([], created_by=None) == []


def test_inside_a_callers_transaction_a_refusal_leaves_it_usable():
    with transaction.atomic():
        entry = post()
        with pytest.raises(ValidationError):
            post(debit="112")
        again = post_entry(draft(idempotency_key=entry.idempotency_key), created_by=None)
        assert again.pk == entry.pk
        assert post().number == "2025-000002"


def test_a_key_posted_by_someone_else_meanwhile_comes_back_as_that_entry(monkeypatch):
    """Two postings of one key at once: the one that loses the race gets the winner's entry."""
    winner = post(idempotency_key="race")
    real_lookup = journal_sql.lookup
    calls = []

    def blind_once(cursor, **kwargs):  # the first check runs before the other posting commits
        found = real_lookup(cursor, **kwargs)
        if not calls:
            found.posted.clear()
        calls.append(1)
        return found

    monkeypatch.setattr(journal_sql, "lookup", blind_once)
    with transaction.atomic():
        loser = post(idempotency_key="race")
        assert loser.pk == winner.pk
        assert len(calls) == 2  # blind, then checked again
        assert post().number == "2025-000002"  # the outer transaction is intact


def test_the_journal_cannot_be_written_through_the_orm():
    entry = post()
    line = entry.lines.first()
    for attempt in (
        entry.save,
        entry.delete,
        line.save,
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(memo="changed"),
        lambda: JournalLine.objects.all().delete(),
        lambda: JournalLine.objects.bulk_create([JournalLine(entry=entry)]),
    ):
        with pytest.raises(PostedRowError):
            attempt()
    assert JournalEntry.objects.get(pk=entry.pk).memo == entry.memo


# --- reversal --------------------------------------------------------------------------


def test_a_reversal_mirrors_the_entry_and_nets_it_to_zero(accountant):
    entry = post(lines=[Line("128311", debit=D(700), reference="HD-1"), Line("11212", credit=D(700))])
    reversal = reverse_entry(entry=entry, reason="Sai khoản vay", created_by=accountant)
    assert reversal.reverses_id == entry.pk and reversal.memo == "Sai khoản vay"
    assert reversal.source_kind == "reversal" and reversal.source_ref == entry.number
    assert reversal.value_date == entry.value_date and reversal.number == "2025-000002"
    assert list(reversal.lines.values_list("account__code", "debit", "credit", "reference")) == [
        ("128311", 0, Decimal(700), "HD-1"),
        ("11212", Decimal(700), 0, ""),
    ]
    entry.refresh_from_db()
    assert entry.reversed_by == reversal


def test_an_entry_is_reversed_once_and_a_reversal_is_not_reversed():
    entry = post()
    reversal = reverse_entry(entry=entry, reason="wrong", created_by=None)
    before = rows_written()
    with pytest.raises(ValidationError, match=f"already reversed by {reversal.number}"):
        reverse_entry(entry=entry, reason="again", created_by=None)
    with pytest.raises(ValidationError, match="itself a reversal"):
        reverse_entry(entry=reversal, reason="undo", created_by=None)
    assert rows_written() == before


def test_a_reversal_needs_a_reason():
    entry = post()
    with pytest.raises(ValidationError) as refused:
        reverse_entry(entry=entry, reason="  ", created_by=None)
    assert refused.value.message_dict == {"reason": ["Give the reason for the reversal."]}


def test_a_reversal_of_an_entry_in_a_closed_month_is_dated_in_an_open_one(accountant):
    entry = post(value_date=date(2025, 1, 15))
    as_if_committed()
    close_period(actor=accountant, year=2025, month=1)
    with pytest.raises(ValidationError) as refused:
        reverse_entry(entry=entry, reason="wrong fund", created_by=None)
    assert "value_date" in refused.value.message_dict
    reversal = reverse_entry(entry=entry, reason="wrong fund", created_by=None, value_date=date(2025, 2, 3))
    assert reversal.value_date == date(2025, 2, 3)
    assert set(reversal.lines.values_list("value_date", flat=True)) == {date(2025, 2, 3)}


def test_a_reversal_is_keyed_by_the_entry_it_reverses():
    entry = post()
    reversal = reverse_entry(entry=entry, reason="x", created_by=None)
    assert reversal.idempotency_key == f"reversal:{entry.pk}"


def test_a_large_batch_over_two_years_keeps_every_line_and_number():
    drafts = []
    for n in range(1, 61):
        debits = [Line("1111", debit=D(n)), Line("6428", debit=D(n * 100))][: 1 + n % 2]
        total = sum(line.debit for line in debits)
        day = date(2025, 12, 31) if n % 3 else date(2026, 1, 2)
        drafts.append(draft(lines=[*debits, Line("41111", credit=total, reference=f"r{n}")], value_date=day))
    entries = post_entries(drafts, created_by=None)
    assert [(e.year, e.value_date) for e in entries] == [(d.value_date.year, d.value_date) for d in drafts]
    assert sorted(e.sequence for e in entries if e.year == 2025) == list(range(1, 41))
    assert sorted(e.sequence for e in entries if e.year == 2026) == list(range(1, 21))
    for d, entry in zip(drafts, entries, strict=True):
        stored = sorted(entry.lines.values_list("account__code", "debit", "credit", "reference"))
        wanted = sorted((line.account, line.debit, line.credit, line.reference) for line in d.lines)
        assert stored == wanted


def test_a_batch_keeps_its_texts_exactly():
    # On PostgreSQL a batch this size goes in as COPY's text, written out by the ledger:
    # tabs, line breaks, backslashes and a literal \N must come out as they went in.
    awkward = ["tab\there", "line\nbreak\r\n", "C:\\quỹ\\", "\\N", 'HĐ "số 1", {a,b}', ""]
    drafts = [
        draft(
            amount=n + 1,
            memo=f"{text} {n}",
            idempotency_key=f"{text}:{n}",
            source_ref=text,
            lines=[
                Line("1111", debit=Decimal(n + 1), reference=text),
                Line("41111", credit=Decimal(n + 1), reference=f"{text}!"),
            ],
        )
        for n, text in enumerate(awkward * 4)
    ]
    entries = post_entries(drafts, created_by=None)
    for d, entry in zip(drafts, entries, strict=True):
        stored = JournalEntry.objects.get(pk=entry.pk)
        assert (stored.memo, stored.idempotency_key, stored.source_ref) == (
            d.memo.strip(),
            d.idempotency_key,
            d.source_ref,
        )
        assert list(entry.lines.order_by("pk").values_list("reference", flat=True)) == [
            line.reference for line in d.lines
        ]


def test_a_batch_larger_than_a_statement_is_posted_in_several(monkeypatch):
    """Statements hold a bounded number of rows: a batch beyond that goes in several of them."""
    monkeypatch.setattr(journal_sql, "_ROWS_PER_STATEMENT", 3)
    monkeypatch.setattr(journal_sql, "_LINES_PER_STATEMENT", 5)
    monkeypatch.setattr(journal_sql, "_PG_ARRAYS_FROM", 4)
    monkeypatch.setattr(journal_sql, "_PG_COPY_FROM", 3)
    known = post(idempotency_key="k-4", amount=4)
    drafts = [draft(amount=n, idempotency_key=f"k-{n}") for n in range(1, 11)]
    entries = post_entries(drafts, created_by=None)
    assert entries[3].pk == known.pk
    assert [e.lines.get(credit__gt=0).credit.amount for e in entries] == list(range(1, 11))
    assert sorted(e.sequence for e in entries) == list(range(1, 11))
    with pytest.raises(ValidationError, match=r"Entry 7 \(k-11\): Line 1: account 112"):
        post_entries([*drafts[:6], draft(idempotency_key="k-11", debit="112")], created_by=None)


def test_a_rehearsal_returns_what_would_post_and_keeps_nothing(accountant):
    post()
    before = rows_written()
    batch = [draft(amount=300, idempotency_key="r:1"), draft(amount=400, idempotency_key="r:2")]
    single = draft(amount=500, idempotency_key="r:3")

    def use_case():
        post_entries(batch, created_by=accountant)
        post_entry(single, created_by=accountant)

    assert what_it_would_post(use_case) == [*batch, single]
    assert rows_written() == before  # no entry, no line, no number taken
    assert post().number == "2025-000002"
    # A refusal raises as the real call's would, and leaves nothing either.
    with pytest.raises(ValidationError):
        what_it_would_post(lambda: post_entry(draft(idempotency_key="r:4", lines=two(1, 2)), created_by=None))
    assert rows_written()[:2] == (before[0] + 1, before[1] + 2)
