"""Invariants of the books, over postings hypothesis makes up."""

from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import JournalEntry, JournalLine
from ledger.selectors import account_balances, trial_balance
from ledger.services import EntryDraft, Line, post_entries, post_entry, reverse_entry

pytestmark = pytest.mark.django_db

ON_BALANCE = [
    *("1111", "11211", "11212", "128311", "128322", "13881"),
    *("22931", "33881", "41111", "5151", "6426", "7118"),
]
OFF_BALANCE = ["0041", "0042"]  # posted against 009
START = date(2025, 1, 1)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
amounts = st.integers(min_value=1, max_value=10**13).map(Decimal)


@contextmanager
def rolled_back():
    """Each example starts from the same books: whatever it posts is undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@st.composite
def balanced_lines(draw):
    """Two to six lines whose debits equal their credits, on or off the balance sheet."""
    if draw(st.booleans()) and draw(st.booleans()):  # now and then an off-balance entry
        amount = draw(amounts)
        return [Line(draw(st.sampled_from(OFF_BALANCE)), debit=amount), Line("009", credit=amount)]
    debits = draw(st.lists(amounts, min_size=1, max_size=3))
    total = sum(debits)
    cuts = []
    if total > 1:  # split the total into one to three credits
        cuts = sorted(draw(st.lists(st.integers(1, int(total) - 1), max_size=2, unique=True)))
    credits = [Decimal(b - a) for a, b in zip([0, *cuts], [*cuts, int(total)], strict=True)]
    account = st.sampled_from(ON_BALANCE)
    lines = [Line(draw(account), debit=d) for d in debits] + [Line(draw(account), credit=c) for c in credits]
    return draw(st.permutations(lines))


@st.composite
def drafts(draw, tag: str):
    return EntryDraft(
        value_date=START + timedelta(days=draw(st.integers(0, 700))),
        memo="generated",
        lines=draw(balanced_lines()),
        idempotency_key=f"{tag}:{draw(st.uuids())}",
    )


# A step is a posting, or the reversal of an earlier posting chosen by its position.
steps = st.lists(st.one_of(drafts("p"), st.integers(min_value=0, max_value=50)), min_size=1, max_size=12)


def expected_balances(entries: list[tuple[EntryDraft, int]]) -> dict[str, Decimal]:
    """Debit minus credit by account, worked out from the drafts alone (sign = +1 posted, -1 reversed)."""
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for draft, sign in entries:
        for line in draft.lines:
            balances[line.account] += sign * (line.debit - line.credit)
    return balances


@EXAMPLES
@given(steps=steps)
def test_any_postings_and_reversals_leave_every_section_balanced(steps):
    with rolled_back():
        posted: list[tuple[EntryDraft, JournalEntry]] = []
        applied: list[tuple[EntryDraft, int]] = []
        reversed_pks = set()
        for step in steps:
            if isinstance(step, EntryDraft):
                posted.append((step, post_entry(step, created_by=None)))
                applied.append((step, 1))
            elif posted and (chosen := posted[step % len(posted)])[1].pk not in reversed_pks:
                draft, entry = chosen
                reverse_entry(entry=entry, reason="hypothesis", created_by=None)
                reversed_pks.add(entry.pk)
                applied.append((draft, -1))
        as_of = START + timedelta(days=1000)
        balance = trial_balance(as_of=as_of)
        assert balance.balanced
        for section in balance.sections:
            assert section.total_debit == section.total_credit
            assert section.total_debits_posted == section.total_credits_posted
        expected = expected_balances(applied)
        assert account_balances(codes=expected, as_of=as_of) == expected


@EXAMPLES
@given(draft=drafts("r"))
def test_a_reversal_nets_its_entry_to_zero_on_every_account(draft):
    with rolled_back():
        entry = post_entry(draft, created_by=None)
        reversal = reverse_entry(entry=entry, reason="hypothesis", created_by=None)
        net: Counter = Counter()
        for code, debit, credit in JournalLine.objects.filter(entry__in=[entry, reversal]).values_list(
            "account__code", "debit", "credit"
        ):
            net[code] += debit - credit
        assert set(net.values()) == {0}
        assert set(net) == {line.account for line in draft.lines}


def snapshot():
    balance = trial_balance(as_of=START + timedelta(days=1000))
    rows = [(row.code, row.debits, row.credits) for row in balance.rows]
    return JournalEntry.objects.count(), JournalLine.objects.count(), rows


@EXAMPLES
@given(batch=st.lists(drafts("i"), min_size=1, max_size=6), again=st.data())
def test_reposting_known_keys_changes_nothing(batch, again):
    with rolled_back():
        first = post_entries(batch, created_by=None)
        before = snapshot()
        by_key = lambda d: d.idempotency_key  # noqa: E731
        repost = again.draw(st.lists(st.sampled_from(batch), min_size=1, unique_by=by_key))
        second = post_entries(repost, created_by=None)
        singles = [post_entry(d, created_by=None) for d in repost]
        by_key = {e.idempotency_key: e.pk for e in first}
        assert [e.pk for e in second] == [by_key[d.idempotency_key] for d in repost]
        assert [e.pk for e in singles] == [by_key[d.idempotency_key] for d in repost]
        assert snapshot() == before


@st.composite
def unbalanced_drafts(draw):
    """Balanced lines with one amount made larger: debits and credits now differ."""
    lines = list(draw(balanced_lines()))
    position = draw(st.integers(0, len(lines) - 1))
    line, extra = lines[position], Decimal(draw(st.integers(min_value=1, max_value=10**6)))
    if line.debit:
        lines[position] = Line(line.account, debit=line.debit + extra)
    else:
        lines[position] = Line(line.account, credit=line.credit + extra)
    key = f"u:{draw(st.uuids())}"
    return EntryDraft(value_date=START, memo="unbalanced", lines=lines, idempotency_key=key)


@EXAMPLES
@given(bad=unbalanced_drafts(), good=st.lists(drafts("g"), max_size=3))
def test_unbalanced_input_is_always_refused_and_leaves_no_row(bad, good):
    with rolled_back():
        before = snapshot()
        with pytest.raises(ValidationError, match="does not balance"):
            post_entry(bad, created_by=None)
        with pytest.raises(ValidationError, match="does not balance"):
            post_entries([*good, bad], created_by=None)
        assert snapshot() == before
