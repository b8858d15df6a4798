"""PostgreSQL enforces the ledger's rules itself, and posting stays right under concurrency."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import translation

from ledger.models import Account, AccountDay, JournalEntry, JournalLine, Period, PeriodState
from ledger.selectors import trial_balance
from ledger.services import Line, close_period, journal_sql, post_entries, post_entry, reverse_entry
from tests.ledger.factories import as_if_committed, draft, post

pytestmark = pytest.mark.postgres


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement: str, params=(), *, at_commit: bool = False) -> str:
    """Run raw SQL that must fail, now or when the deferred checks run; return the error."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        sql(statement, params)
        if at_commit:
            as_if_committed()
    return str(error.value)


def account_id(code: str) -> int:
    return Account.objects.get(code=code).pk


NEW_ENTRY = (
    "INSERT INTO ledger_journalentry (id, year, sequence, value_date, memo, source_kind, source_ref,"
    " idempotency_key, created_at) VALUES (%s, %s, %s, %s, 'raw', 'manual', '', %s, now())"
)
NEW_LINE = (
    "INSERT INTO ledger_journalline (entry_id, account_id, value_date, debit_currency, debit,"
    " credit_currency, credit, reference) VALUES (%s, %s, %s, 'VND', %s, 'VND', %s, '')"
)


def raw_entry(pk: int, lines, *, value_date=date(2025, 3, 10), year=None, sequence=None) -> None:
    sql(NEW_ENTRY, [pk, year or value_date.year, sequence or pk, value_date, f"raw:{pk}"])
    for code, debit, credit in lines:
        sql(NEW_LINE, [pk, account_id(code), value_date, debit, credit])


# --- raw SQL cannot break the books ------------------------------------------------------


@pytest.mark.django_db
def test_posted_rows_are_never_updated_or_deleted():
    entry = post(amount=500)
    line = entry.lines.first()
    for statement, pk in [
        ("UPDATE ledger_journalline SET debit = 400 WHERE id = %s", line.pk),
        ("DELETE FROM ledger_journalline WHERE id = %s", line.pk),
        ("UPDATE ledger_journalentry SET memo = 'x' WHERE id = %s", entry.pk),
        ("DELETE FROM ledger_journalentry WHERE id = %s", entry.pk),
    ]:
        assert "never updated or deleted" in refused(statement, [pk])
    assert JournalLine.objects.get(pk=line.pk).debit.amount == 500


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE ledger_journalline",
        "TRUNCATE ledger_accountday",
        "TRUNCATE ledger_journalentry CASCADE",
        "TRUNCATE ledger_account CASCADE",  # reaches the account days through their foreign key
    ],
)
def test_the_journal_is_never_truncated(statement):
    entry = post(amount=500)
    as_if_committed()  # PostgreSQL truncates no table with checks still pending
    assert "never truncated" in refused(statement)
    assert entry.lines.count() == 2


@pytest.mark.django_db
def test_an_unbalanced_entry_fails_at_commit_and_a_balanced_one_goes_in():
    with transaction.atomic():
        raw_entry(900001, [("1111", 100, 0), ("41111", 0, 100)])
        as_if_committed()
    assert JournalEntry.objects.filter(pk=900001).exists()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw_entry(900002, [("1111", 100, 0), ("41111", 0, 99)])
        as_if_committed()
    assert not JournalEntry.objects.filter(pk=900002).exists()


@pytest.mark.django_db
def test_an_entry_with_fewer_than_two_lines_fails_at_commit():
    with pytest.raises(IntegrityError, match="at least two"), transaction.atomic():
        raw_entry(900003, [])
        as_if_committed()


@pytest.mark.django_db
def test_lines_added_after_the_checks_ran_early_are_checked_at_commit():
    # SET CONSTRAINTS ALL IMMEDIATE, which any session may run, runs the commit-time checks
    # early; a line added to the entry afterwards, in the same transaction, must not escape them.
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw_entry(900040, [("1111", 100, 0), ("41111", 0, 100)])
        as_if_committed()  # the checks run now, and pass
        sql(NEW_LINE, [900040, account_id("1111"), date(2025, 3, 10), 999, 0])
        as_if_committed()
    assert not JournalEntry.objects.filter(pk=900040).exists()


@pytest.mark.django_db
def test_a_line_cannot_slip_in_below_the_lines_its_entry_has():
    # Given an id below the entry's last line, a late line would not be the one that checks it.
    with pytest.raises(IntegrityError, match="has a lower id than one it has already"), transaction.atomic():
        raw_entry(900041, [("1111", 100, 0), ("41111", 0, 100)])
        as_if_committed()
        sql(
            NEW_LINE.replace("(entry_id,", "(id, entry_id,").replace("VALUES (", "VALUES (1, "),
            [900041, account_id("1111"), date(2025, 3, 10), 999, 0],
        )
    assert not JournalEntry.objects.filter(pk=900041).exists()


# --- the checks queued by statement (migration 0014) --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("credit", "refusal"), [(100, None), (99, "entry 900050 does not balance")])
def test_lines_inserted_before_their_entry_are_checked_at_commit(credit, refusal):
    # The batch path copies the lines in first; the entry's own insert queues its check.
    def lines_then_entry():
        with transaction.atomic():
            sql(NEW_LINE, [900050, account_id("1111"), date(2025, 3, 10), 100, 0])
            sql(NEW_LINE, [900050, account_id("41111"), date(2025, 3, 10), 0, credit])
            sql(NEW_ENTRY, [900050, 2025, 900050, date(2025, 3, 10), "raw:900050"])
            as_if_committed()

    if refusal is None:
        lines_then_entry()
    else:
        with pytest.raises(IntegrityError, match=refusal):
            lines_then_entry()
    assert JournalEntry.objects.filter(pk=900050).exists() == (refusal is None)


@pytest.mark.django_db
def test_every_entry_a_statement_inserts_is_checked():
    entries = [900060, 900061, 900062]
    rows = ", ".join(["(%s, 2025, %s, '2025-03-10', 'raw', 'manual', '', %s, now())"] * len(entries))
    lines = ", ".join(["(%s, %s, '2025-03-10', 'VND', %s, 'VND', %s, '')"] * 2 * len(entries))
    cash, capital = account_id("1111"), account_id("41111")
    credits = {900060: 100, 900061: 98, 900062: 100}  # the middle one is short
    with pytest.raises(IntegrityError, match="entry 900061 does not balance"), transaction.atomic():
        sql(
            NEW_ENTRY.split(" VALUES")[0] + f" VALUES {rows}",
            [v for pk in entries for v in (pk, pk, f"raw:{pk}")],
        )
        sql(
            NEW_LINE.split(" VALUES")[0] + f" VALUES {lines}",
            [v for pk in entries for v in (pk, cash, 100, 0, pk, capital, 0, credits[pk])],
        )
        as_if_committed()
    assert not JournalEntry.objects.filter(pk__in=entries).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("checked_early", [False, True])
def test_an_entry_of_a_batch_takes_no_line_once_the_batch_returns(checked_early):
    # A batch this size goes in by COPY, the lines before the entries, in its own savepoint.
    with pytest.raises(IntegrityError, match="lines cannot be added"), transaction.atomic():
        entries = post_entries(
            [draft(amount=n, idempotency_key=f"b{n}") for n in range(1, 41)], created_by=None
        )
        if checked_early:
            as_if_committed()
        sql(NEW_LINE, [entries[20].pk, account_id("1111"), entries[20].value_date, 5, 0])
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_the_entries_to_check_are_kept_by_the_triggers_only():
    post(amount=700)
    as_if_committed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_entry_checks")
        assert cursor.fetchone() == (0,)  # checked, the queued rows are gone
    for statement in [
        "INSERT INTO ledger_entry_checks (entry_ids) VALUES ('{1}')",
        "UPDATE ledger_entry_checks SET entry_ids = '{}'",
        "DELETE FROM ledger_entry_checks",
        "TRUNCATE ledger_entry_checks",
    ]:
        assert "kept by the journal's triggers only" in refused(statement)


@pytest.mark.django_db
def test_a_check_queued_in_a_transaction_cannot_be_withdrawn():
    with pytest.raises(IntegrityError, match="kept by the journal's triggers only"), transaction.atomic():
        raw_entry(900070, [("1111", 100, 0), ("41111", 0, 99)])
        sql("DELETE FROM ledger_entry_checks")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw_entry(900071, [("1111", 100, 0), ("41111", 0, 99)])
        sql("SET CONSTRAINTS ledger_entry_checks_at_commit DEFERRED")  # it is already; and no flag skips it
        as_if_committed()


# --- a line's entry and account, checked by triggers, not foreign keys (migration 0015) -----


@pytest.mark.django_db
def test_a_line_on_an_account_that_does_not_exist_is_refused():
    error = refused(NEW_LINE, [900090, 999_999, date(2025, 3, 10), 5, 0])
    assert "refers to account 999999, which does not exist" in error


@pytest.mark.django_db
def test_lines_whose_entry_never_comes_are_refused_at_commit():
    with (
        pytest.raises(IntegrityError, match="refer to entry 900091, which does not exist"),
        transaction.atomic(),
    ):
        sql(NEW_LINE, [900091, account_id("1111"), date(2025, 3, 10), 5, 0])
        sql(NEW_LINE, [900091, account_id("41111"), date(2025, 3, 10), 0, 5])
        as_if_committed()


@pytest.mark.django_db
def test_an_account_with_postings_stays():
    entry = post(amount=500, debit="1111", credit="4118")
    as_if_committed()
    cash = account_id("1111")
    for statement in [
        "DELETE FROM ledger_account WHERE id = %s",
        "UPDATE ledger_account SET id = 999999 WHERE id = %s",
    ]:
        # The account's daily sums, kept with its lines, refer to it by a foreign key.
        assert "is still referenced" in refused(statement, [cash], at_commit=True)
    assert entry.lines.count() == 2
    unposted = Account.objects.create(code="1119", name_vi="x", name_en="x", type="asset")
    sql("DELETE FROM ledger_account WHERE id = %s", [unposted.pk])  # one without postings may go
    as_if_committed()
    assert not Account.objects.filter(pk=unposted.pk).exists()


@pytest.mark.django_db
def test_a_line_added_to_a_posted_entry_is_refused():
    entry = post(amount=100)
    error = refused(NEW_LINE, [entry.pk, account_id("1111"), entry.value_date, 5, 0])
    assert "lines cannot be added" in error
    assert entry.lines.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("debit", "credit"), [(-5, 0), (0, 0), (5, 5), (0, -5)])
def test_amounts_are_checked_by_the_database(debit, credit):
    with pytest.raises(IntegrityError, match="ledger_line_one_side_positive"), transaction.atomic():
        raw_entry(900020, [("1111", debit, credit), ("41111", 0, 5)])


@pytest.mark.django_db
def test_the_currency_is_vnd():
    entry = post()
    statement = NEW_LINE.replace("'VND', %s, 'VND'", "'USD', %s, 'VND'")
    error = refused(statement, [entry.pk, account_id("1111"), entry.value_date, 5, 0])
    assert "ledger_line_debit_vnd" in error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "value_date", "year", "words"),
    [
        ([("112", 100, 0), ("41111", 0, 100)], date(2025, 3, 10), None, "sub-accounts"),
        ([("1111", 100, 0), ("41111", 0, 100)], date(2025, 3, 10), 2024, "numbered in 2024"),
    ],
)
def test_accounts_and_numbers_are_checked_at_commit(lines, value_date, year, words):
    with pytest.raises(IntegrityError, match=words), transaction.atomic():
        raw_entry(900010, lines, value_date=value_date, year=year)
        as_if_committed()


@pytest.mark.django_db
def test_a_line_on_another_date_than_its_entry_fails_at_commit():
    with pytest.raises(IntegrityError, match="value date"), transaction.atomic():
        sql(NEW_ENTRY, [900011, 2025, 900011, date(2025, 3, 10), "raw:900011"])
        sql(NEW_LINE, [900011, account_id("1111"), date(2025, 3, 10), 100, 0])
        sql(NEW_LINE, [900011, account_id("41111"), date(2025, 3, 11), 0, 100])
        as_if_committed()


@pytest.mark.django_db
def test_an_inactive_account_and_a_closed_month_fail_at_commit(accountant):
    Account.objects.filter(code="4118").update(active=False)
    with pytest.raises(IntegrityError, match="inactive"), transaction.atomic():
        raw_entry(900012, [("1111", 100, 0), ("4118", 0, 100)])
        as_if_committed()
    close_period(actor=accountant, year=2025, month=2)
    with pytest.raises(IntegrityError, match="closed month"), transaction.atomic():
        raw_entry(900013, [("1111", 100, 0), ("41111", 0, 100)], value_date=date(2025, 2, 3))
        as_if_committed()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "value_date", "words"),
    [
        ([("1111", 100, 0), ("41111", 0, 99)], date(2025, 3, 10), "does not balance"),
        ([("112", 100, 0), ("41111", 0, 100)], date(2025, 3, 10), "sub-accounts"),
        ([("1111", 100, 0), ("4118", 0, 100)], date(2025, 3, 10), "inactive"),
        ([("1111", 100, 0), ("41111", 0, 100)], date(2025, 2, 3), "closed month"),
    ],
)
def test_the_commit_time_check_finds_the_same_whatever_plan_a_session_forces(
    accountant, lines, value_date, words
):
    # The check reads each entry's lines by key (migration 0014); a session that turns index
    # scans off, or sequential scans on, changes how it reads, never what it finds.
    Account.objects.filter(code="4118").update(active=False)
    close_period(actor=accountant, year=2025, month=2)
    sql("SET LOCAL enable_indexscan = off")
    sql("SET LOCAL enable_bitmapscan = off")
    sql("SET LOCAL enable_seqscan = on")
    with pytest.raises(IntegrityError, match=words), transaction.atomic():
        raw_entry(900014, lines, value_date=value_date)
        as_if_committed()
    with transaction.atomic():  # and a sound entry still goes in
        raw_entry(900015, [("1111", 100, 0), ("41111", 0, 100)])
        as_if_committed()
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)  # the function's own setting stays inside it


@pytest.mark.django_db
def test_an_account_with_postings_gets_no_sub_account_even_by_raw_sql():
    post(debit="4118", credit="1111")
    as_if_committed()
    error = refused(
        "INSERT INTO ledger_account (code, name_vi, name_en, type, parent_id, active)"
        " VALUES ('41181', 'x', 'x', 'equity', %s, true)",
        [account_id("4118")],
    )
    assert "cannot get sub-accounts" in error


# --- the one-statement posting function and the account days (migration 0008) ----------

POST_ENTRY = (
    "SELECT * FROM ledger_post_entry(%s, 'raw', 'manual', '', %s, NULL, now(), %s::text[], %s::numeric[],"
    " %s::numeric[], %s::text[])"
)


def call_post_entry(key: str, lines, value_date=date(2025, 3, 10)):
    codes, debits, credits = zip(*lines, strict=True) if lines else ((), (), ())
    with connection.cursor() as cursor:
        cursor.execute(
            POST_ENTRY, [value_date, key, list(codes), list(debits), list(credits), [""] * len(codes)]
        )
        return cursor.fetchone()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ([("1111", 100, 0), ("41111", 0, 99)], "does not balance"),
        ([("1111", 100, 0)], "at least two"),
    ],
)
def test_the_posting_function_called_by_hand_cannot_post_a_bad_entry(lines, words):
    with pytest.raises(IntegrityError, match=words), transaction.atomic():
        post()  # the year's counter exists, so the function posts
        call_post_entry("raw:bad", lines)
        as_if_committed()
    assert not JournalEntry.objects.filter(idempotency_key="raw:bad").exists()


@pytest.mark.django_db
def test_the_posting_function_numbers_at_once_and_writes_nothing_it_cannot_post(accountant):
    first = post()
    assert call_post_entry("raw:a", [("1111", 5, 0), ("41111", 0, 5)])[1] == first.sequence + 1
    as_if_committed()
    before = rows_written()
    close_period(actor=accountant, year=2025, month=2)
    for key, lines, value_date in [
        ("raw:a", [("1111", 5, 0), ("41111", 0, 5)], date(2025, 3, 10)),  # the key is posted
        ("raw:b", [("112", 5, 0), ("41111", 0, 5)], date(2025, 3, 10)),  # a parent account
        ("raw:c", [("9999", 5, 0), ("41111", 0, 5)], date(2025, 3, 10)),  # no such account
        ("raw:d", [("1111", 5, 0), ("41111", 0, 5)], date(2025, 2, 10)),  # a closed month
        ("raw:e", [("1111", 5, 0), ("41111", 0, 5)], date(2024, 3, 10)),  # no counter for 2024
        ("raw:f", [], date(2025, 3, 10)),  # no lines
    ]:
        assert call_post_entry(key, lines, value_date) == (None, None), key
    assert rows_written() == before
    assert post().sequence == first.sequence + 2  # no number was taken


@pytest.mark.django_db
def test_a_month_closed_after_a_one_statement_posting_refuses_it_at_commit(accountant):
    with pytest.raises(IntegrityError, match="closed month"), transaction.atomic():
        post(value_date=date(2025, 2, 27))  # posted by ledger_post_entry, inside the transaction
        Period.objects.create(year=2025, month=2, state=PeriodState.CLOSED)  # as a close would, meanwhile
        as_if_committed()
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_a_one_statement_posting_keeps_its_lines_text_exactly():
    # ledger_post_entry takes the lines as arrays: quotes, commas, braces, backslashes and
    # NULL in a reference must come out as they went in.
    awkward = [("1111", 100, 0, 'HĐ "số 1", {a,b}'), ("1111", 7, 0, "C:\\quỹ\\"), ("41111", 0, 107, "NULL")]
    lines = [
        Line(code, debit=Decimal(debit), credit=Decimal(credit), reference=ref)
        for code, debit, credit, ref in awkward
    ]
    post()  # the year's counter exists, so the next posting goes by ledger_post_entry
    entry = post(lines=lines)
    stored = entry.lines.order_by("pk").values_list("account__code", "debit", "credit", "reference")
    assert list(stored) == awkward


def rows_written():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM ledger_journalentry), (SELECT count(*) FROM ledger_journalline),"
            " (SELECT array_agg(last_number ORDER BY year) FROM ledger_journalsequence)"
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_account_days_sum_every_line_however_it_was_inserted():
    post(amount=700)
    post_entries(
        [draft(amount=n, value_date=date(2025, 3, 10 + n % 2)) for n in range(1, 40)], created_by=None
    )
    raw_entry(900030, [("1111", 11, 0), ("41111", 0, 11)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, value_date, sum(debit), sum(credit), count(*) FROM ledger_journalline"
            " GROUP BY 1, 2 ORDER BY 1, 2"
        )
        from_lines = cursor.fetchall()
    days = AccountDay.objects.order_by("account_id", "value_date")
    assert list(days.values_list("account_id", "value_date", "debit", "credit", "line_count")) == from_lines
    assert trial_balance(as_of=date(2025, 3, 31)).line_count == sum(row[4] for row in from_lines)


@pytest.mark.django_db
def test_account_days_cannot_be_written_by_hand():
    post(amount=700)
    day = AccountDay.objects.first()
    for statement, params in [
        ("UPDATE ledger_accountday SET debit = debit + 1 WHERE id = %s", [day.pk]),
        ("DELETE FROM ledger_accountday WHERE id = %s", [day.pk]),
        (
            "INSERT INTO ledger_accountday (account_id, value_date, debit, credit, line_count)"
            " VALUES (%s, '2025-01-01', 5, 0, 1)",
            [day.account_id],
        ),
    ]:
        assert "kept by the journal's trigger only" in refused(statement, params)
    assert AccountDay.objects.get(pk=day.pk).debit == day.debit


# --- concurrency -------------------------------------------------------------------------


def run_threads(count: int, work) -> list:
    """Run `work(n)` in `count` threads released together; returns results or exceptions."""
    start = threading.Barrier(count)
    results: list = [None] * count

    def target(n: int) -> None:
        try:
            start.wait()
            with translation.override("en"):  # a thread starts in the default language
                results[n] = work(n)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each thread got
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


CONCURRENT = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@CONCURRENT
def test_concurrent_postings_all_land_with_gap_free_numbers_and_exact_totals():
    threads, each = 6, 25
    amount = lambda n, i: 1_000 * n + i + 1  # noqa: E731

    def work(n: int):
        for i in range(each):
            post_entry(draft(amount=amount(n, i), idempotency_key=f"t{n}:{i}"), created_by=None)
        # and a batch, in the same year, racing the single postings
        post_entries([draft(amount=1, idempotency_key=f"t{n}:batch:{i}") for i in range(10)], created_by=None)

    assert run_threads(threads, work) == [None] * threads
    total = sum(amount(n, i) for n in range(threads) for i in range(each)) + threads * 10
    count = threads * (each + 10)
    assert sorted(JournalEntry.objects.values_list("sequence", flat=True)) == list(range(1, count + 1))
    balance = trial_balance(as_of=date(2025, 12, 31))
    assert balance.balanced
    assert {row.code: row.debits for row in balance.rows if row.postable}["1111"] == total


@CONCURRENT
def test_lines_written_ahead_of_an_entry_cannot_join_one_another_session_posts():
    # The batch path writes lines before their entry: one whose id another session then
    # posts (balanced, its own lines) is not theirs, even balanced as they are.
    lines_in, posted = threading.Event(), threading.Event()

    def work(n: int):
        if n == 0:
            with transaction.atomic():
                sql(NEW_LINE, [900080, account_id("1111"), date(2025, 3, 10), 5, 0])
                sql(NEW_LINE, [900080, account_id("41111"), date(2025, 3, 10), 0, 5])
                lines_in.set()
                posted.wait(30)
            return "committed"
        lines_in.wait(30)
        try:
            with transaction.atomic():
                # Another day: the lines' daily sums would make it wait for the first session.
                raw_entry(900080, [("1111", 100, 0), ("41111", 0, 100)], value_date=date(2025, 3, 11))
        finally:
            posted.set()
        return "posted"

    results = run_threads(2, work)
    assert isinstance(results[0], IntegrityError), results[0]
    assert "entry 900080 is posted; lines cannot be added to it" in str(results[0])
    assert results[1] == "posted"
    assert JournalLine.objects.filter(entry_id=900080).count() == 2


@CONCURRENT
def test_an_account_being_posted_to_cannot_go_meanwhile():
    # As a foreign key's check would, the lines' trigger holds the accounts until the commit.
    posting, tried = threading.Event(), threading.Event()

    def work(n: int):
        if n == 0:
            with transaction.atomic():
                post(amount=500, debit="1111", credit="4118")
                posting.set()
                tried.wait(30)
            return "posted"
        posting.wait(30)
        try:
            with transaction.atomic():
                sql("SET LOCAL lock_timeout = '200ms'")
                sql("DELETE FROM ledger_account WHERE code = '4118'")
        finally:
            tried.set()

    results = run_threads(2, work)
    assert results[0] == "posted"
    assert isinstance(results[1], OperationalError) and "lock timeout" in str(results[1]), results[1]
    assert Account.objects.filter(code="4118").exists()


@CONCURRENT
def test_rolled_back_postings_leave_no_gap():
    def work(n: int):
        for i in range(10):
            try:
                with transaction.atomic():
                    post_entry(draft(idempotency_key=f"r{n}:{i}"), created_by=None)
                    if i % 3 == 0:
                        raise RuntimeError("the caller's use case fails after posting")
            except RuntimeError:
                pass

    assert run_threads(4, work) == [None] * 4
    sequences = sorted(JournalEntry.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1)) and len(sequences) == 4 * 6


@CONCURRENT
def test_the_same_key_posted_at_once_makes_one_entry():
    same = draft(idempotency_key="disbursement:77")
    results = run_threads(5, lambda n: post_entry(same, created_by=None).pk)
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert JournalEntry.objects.count() == 1


@CONCURRENT
def test_an_entry_reversed_twice_at_once_is_reversed_once():
    entry = post()
    results = run_threads(4, lambda n: reverse_entry(entry=entry, reason=f"r{n}", created_by=None).pk)
    reversals = [r for r in results if isinstance(r, int)]
    assert len(reversals) == 1
    assert all(isinstance(r, ValidationError) for r in results if not isinstance(r, int))
    assert JournalEntry.objects.filter(reverses=entry).count() == 1


@CONCURRENT
def test_a_month_closed_while_a_posting_is_in_flight_refuses_it(accountant, monkeypatch):
    checked, closed = threading.Event(), threading.Event()

    def after_the_close(write):
        def write_after_the_close(*args, **kwargs):
            checked.set()  # the posting found the month open...
            closed.wait(30)  # ...and the accountant closes it before the posting writes
            return write(*args, **kwargs)

        return write_after_the_close

    # The one-statement path and the full path alike.
    monkeypatch.setattr(journal_sql, "post_one", after_the_close(journal_sql.post_one))
    monkeypatch.setattr(journal_sql, "insert", after_the_close(journal_sql.insert))

    def posting(n: int):
        if n == 0:
            return post_entry(draft(value_date=date(2025, 2, 27)), created_by=None)
        checked.wait(30)
        close_period(actor=accountant, year=2025, month=2)
        closed.set()
        return None

    results = run_threads(2, posting)
    # The commit-time check caught it; checked again, the posting is refused in plain words.
    assert isinstance(results[0], ValidationError), results[0]
    assert "02/2025 is closed" in results[0].message_dict["value_date"][0]
    assert not JournalEntry.objects.exists()
    assert results[1] is None
    assert Period.objects.get(year=2025, month=2).state == PeriodState.CLOSED
