"""Two people acting on one loan at the same moment, on PostgreSQL (row locks are real there)."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Sum

from fund.models import Fund
from fund.services.common import locked_fund
from ledger.selectors import accounts_total
from ledger.services import EntryDraft
from loans.models import CloseOfDay, Disbursement, Loan, LoanTransaction, Repayment, ScheduleRow
from loans.queries import booked, hold_the_day_alone, lock_loan, lock_loans
from loans.replaying import replay_part
from loans.selectors.summaries import usable
from loans.services import actions
from loans.services.closing.runs import finish_run, open_run, run_chunk
from loans.services.servicing import imports
from loans.services.servicing.disbursements import authorize_disbursement, record_disbursement
from loans.services.servicing.repayments import (
    RepaymentInput,
    record_repayment,
    repayment_reversal_entries,
    reverse_repayment,
)
from tests.concurrency import at_once, started, waits_for_a_lock
from tests.loans import factories
from tests.loans.conftest import ROW1, START, move_to, repay, staffed_active_loan
from tests.loans.test_close_of_day import close_through, run_in_savepoint
from tests.loans.test_imports import upload
from tests.loans.test_portfolio_summary import summary_agrees
from tests.loans.test_restructuring import people  # noqa: F401 (a fixture)

# serialized_rollback: the chart of accounts and other migrated data come back after each test.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_concurrent_repayments_on_one_loan_all_land_with_exact_balances(loan, staff):
    Fund.objects.update(business_date=dt.date(2026, 3, 1))
    amounts = [D(1_000_000 + i * 1_111) for i in range(8)]
    results = at_once(
        *[
            lambda amount=amount, i=i: record_repayment(
                actor=staff["officer"],
                loan=loan,
                entry=RepaymentInput(
                    value_date=dt.date(2026, 3, 1), amount=amount, channel="cash", reference=f"PT {i}"
                ),
            )
            for i, amount in enumerate(amounts)
        ]
    )
    assert all(isinstance(result, Repayment) for result in results), results
    held = LoanTransaction.objects.filter(loan=loan, kind="repayment").aggregate(
        total=Sum("amount"), principal=Sum("principal")
    )
    assert held["total"] == sum(amounts)
    # Whatever order the locks gave them, the sub-ledger holds the replay's allocation.
    replayed = replay_part(loan, None, as_of=dt.date(2026, 3, 1))
    assert (
        LoanTransaction.objects.filter(loan=loan).aggregate(p=Sum("principal"))["p"]
        == replayed.principal_outstanding
    )
    assert accounts_total(codes=["1283"], as_of=dt.date(2026, 3, 1)) == replayed.principal_outstanding


def test_repayments_at_once_allocate_against_the_books_the_one_before_left(loan, staff):
    """Close of day has booked January's accrued interest and row 1 fell due unpaid; four
    repayments at once, each taking part of that interest: each one allocates against the
    sub-ledger as the one it waited for left it, so the books are those of paying one by one
    (not a receivable credited four times)."""
    day = dt.date(2026, 2, 20)
    close_through(staff, day - dt.timedelta(days=1))

    def pay(i):
        entry = RepaymentInput(value_date=day, amount=D(400_000), channel="cash", reference=f"PT {i}")
        return record_repayment(actor=staff["officer"], loan=loan, entry=entry)

    def one_by_one():
        for i in range(4):
            pay(i)
        return booked([loan.pk])[loan.pk]

    expected = run_in_savepoint(one_by_one)
    assert expected.interest_receivable >= 0
    results = at_once(*[lambda i=i: pay(i) for i in range(4)])
    assert all(isinstance(result, Repayment) for result in results), results
    assert booked([loan.pk])[loan.pk] == expected


def test_the_same_tranche_authorized_twice_at_once_posts_once(staff, bank, user_with_role):
    loan = factories.signed_loan(
        officer=staff["officer"], approver=staff["approver"], appraiser=staff["appraiser"], signed_on=START
    )
    tranche = record_disbursement(
        actor=staff["officer"], loan=loan, value_date=START, amount=D(60_000_000), account=bank
    )
    second = user_with_role("accountant")
    results = at_once(
        *[
            lambda: authorize_disbursement(actor=staff["accountant"], disbursement=tranche),
            lambda: authorize_disbursement(actor=second, disbursement=tranche),
        ]
    )
    assert all(isinstance(result, Disbursement) for result in results), results
    assert LoanTransaction.objects.filter(disbursement=tranche).count() == 1
    assert accounts_total(codes=["1283"], as_of=START) == D(60_000_000)


def test_a_reversal_and_a_back_dated_repayment_on_one_loan_at_once_both_land(loan, staff):
    # The back-dated repayment re-posts the later one, whose row the reversal locks: both hold
    # the loan first, so one waits for the other instead of a deadlock.
    later = repay(loan, staff, dt.date(2026, 3, 15), ROW1)
    results = at_once(
        lambda: reverse_repayment(actor=staff["accountant"], repayment=later, reason="Nhập nhầm"),
        lambda: repay(loan, staff, dt.date(2026, 2, 15), ROW1),
    )
    assert all(isinstance(result, Repayment) for result in results), results
    assert Repayment.objects.get(pk=later.pk).status == Repayment.Status.REVERSED
    replayed = replay_part(loan, None, as_of=dt.date(2026, 3, 15))
    assert (
        LoanTransaction.objects.filter(loan=loan).aggregate(p=Sum("principal"))["p"]
        == replayed.principal_outstanding
    )
    assert accounts_total(codes=["1283"], as_of=dt.date(2026, 3, 15)) == replayed.principal_outstanding


def test_an_import_holds_every_loan_of_its_file_before_its_first_posting(loan, staff, bank, monkeypatch):
    # Its first posting takes the year's entry counter until commit: a loan taken only after it
    # would be waited for holding the counter, which that loan's holder may be waiting for.
    other = staffed_active_loan(
        staff,
        on=START,
        account=bank,
        number="HĐ-02/2026",
    )
    move_to(dt.date(2026, 3, 20))
    table, pk = Loan._meta.db_table, Loan._meta.pk.column
    probes = []

    def try_lock(loan_id):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {pk} = %s FOR UPDATE NOWAIT", [loan_id])

    def record_then_probe(**kwargs):
        posted = record_repayment(**kwargs)
        if not probes:  # after the first row, before the second: is the second row's loan held?
            probes.extend(at_once(lambda: try_lock(other.pk)))
        return posted

    monkeypatch.setattr(imports, "record_repayment", record_then_probe)
    file = upload(
        [loan.contract.number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 1"],
        [other.contract.number, dt.date(2026, 2, 15), int(ROW1), "Chuyển khoản", "UNC 2"],
    )
    report = imports.import_repayments(actor=staff["officer"], file=file, file_name="thang3.xlsx")
    assert report.ok, report.errors
    assert len(probes) == 1 and isinstance(probes[0], OperationalError), probes


def test_a_repayment_reversals_entry_is_shown_while_another_holds_the_loan(loan, staff):
    # Seeing the entries changes nothing: it does not queue behind a money event on the loan,
    # and shows the reversal's own entry, saying the later ones cannot be worked out yet.
    repayment = repay(loan, staff, dt.date(2026, 2, 15), ROW1)
    held, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic(), connection.cursor() as cursor:
            for model, pk in ((Loan, loan.pk), (Repayment, repayment.pk)):
                table, column = model._meta.db_table, model._meta.pk.column
                cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s FOR UPDATE", [pk])
            held.set()
            release.wait()

    def preview():
        held.wait()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting for the lock fails, not hangs
                return repayment_reversal_entries(
                    actor=staff["accountant"], repayment=repayment, reason="Trùng"
                )
        finally:
            release.set()

    _held, shown = at_once(hold, preview)
    assert isinstance(shown, tuple), shown  # not a lock timeout
    (entry,), complete = shown
    assert isinstance(entry, EntryDraft) and not complete
    original = repayment.transactions.get().journal_entry.lines.values_list(
        "account__code", "debit", "credit"
    )
    assert [(line.account, line.credit, line.debit) for line in entry.lines] == list(original.order_by("pk"))


def chunks_closed_on_row_1s_due_date(loan, staff):
    """The business date moved to the loan's first due date, and its close run there up to the
    finish: the day and the run."""
    day = ScheduleRow.objects.filter(version__loan=loan, position=0).get().due_date
    move_to(day)
    with transaction.atomic():
        run = open_run(actor=staff["accountant"])
    for chunk in run.chunks.all():
        run_chunk(chunk.pk)
    return day, run


def test_a_repayment_open_while_a_close_finishes_is_in_the_closed_days_summary(loan, staff, monkeypatch):
    """The close's chunks are done; an officer's repayment on the day being closed has written
    its rows but not committed when the finish (which moves the business date and sums the
    day's rows) starts: the finish waits for it, and the day's summary is what the rows say."""
    day, run = chunks_closed_on_row_1s_due_date(loan, staff)
    recorded, commit = threading.Event(), threading.Event()

    def pay():
        with transaction.atomic():
            entry = RepaymentInput(value_date=day, amount=ROW1, channel="cash", reference="PT 1")
            repayment = record_repayment(actor=staff["officer"], loan=loan, entry=entry)
            recorded.set()
            commit.wait(60)
        return repayment

    paying = started(pay)
    assert recorded.wait(30)
    finishing = started(lambda: finish_run(run.pk))
    waits_for_a_lock(finishing)  # the finish waits for the repayment (or, wrongly, ends first)
    commit.set()
    paying.join(), finishing.join()
    assert isinstance(paying.outcome, Repayment) and finishing.outcome is not None, (
        paying.outcome,
        finishing.outcome,
    )
    assert Fund.objects.get().business_date > day
    summary_agrees(day, staff, monkeypatch)


def test_a_repayment_started_while_a_close_finishes_drops_the_closed_days_summary(loan, staff):
    """The other order: the finish holds the day when the repayment comes; the repayment waits,
    then finds the next business date, so it is back-dated to the day just summed and drops it."""
    day, run = chunks_closed_on_row_1s_due_date(loan, staff)
    held, finish = threading.Event(), threading.Event()

    def finish_holding_the_day():
        with transaction.atomic():
            locked_fund()
            hold_the_day_alone()
            held.set()
            finish.wait(60)
            return finish_run(run.pk)

    finishing = started(finish_holding_the_day)
    assert held.wait(30)
    entry = RepaymentInput(value_date=day, amount=ROW1, channel="cash", reference="PT 1")
    paying = started(lambda: record_repayment(actor=staff["officer"], loan=loan, entry=entry))
    assert waits_for_a_lock(paying)
    finish.set()
    finishing.join(), paying.join()
    assert isinstance(paying.outcome, Repayment), paying.outcome
    assert finishing.outcome is not None, finishing.outcome
    assert paying.outcome.value_date == day
    assert not usable(day)  # the report computes the day from its rows


def holding(lock, held: threading.Event, release: threading.Event):
    """A transaction that takes `lock()`, says so (`held`) and commits once `release`d."""

    def run():
        with transaction.atomic():
            lock()
            held.set()
            release.wait(60)

    return run


def test_a_close_waiting_to_finish_is_not_overtaken_by_the_events_that_come_after_it(loan, staff, bank):
    """An event under way keeps the finish waiting; an event coming after the finish waits for
    it, not the other way round (a steady flow of events would keep the day from closing)."""
    other = staffed_active_loan(staff, on=START, account=bank, number="HĐ-02/2026")
    _day, run = chunks_closed_on_row_1s_due_date(loan, staff)
    first_held, first_commits, second_held, second_commits = (threading.Event() for _ in range(4))
    first = started(holding(lambda: lock_loan(loan.pk), first_held, first_commits))
    assert first_held.wait(30)
    finishing = started(lambda: finish_run(run.pk))
    assert waits_for_a_lock(finishing)
    second = started(holding(lambda: lock_loan(other.pk), second_held, second_commits))
    assert not second_held.wait(2)  # it waits for the finish (given the time to get past it)
    first_commits.set()
    finishing.join(60)
    assert isinstance(finishing.outcome, CloseOfDay), finishing.outcome
    assert second_held.wait(30)  # then the second event goes on
    second_commits.set()
    first.join(), second.join()


def test_an_import_holding_its_loans_keeps_no_fund_wide_change_waiting(loan, staff):
    """A repayment import holds its loans (and the day) to its commit, minutes for a large file:
    a change of the fund's settings, calendar or capital, which locks the fund's row, does not
    wait for it."""
    held, release = threading.Event(), threading.Event()
    importing = started(holding(lambda: lock_loans([loan.pk]), held, release))
    assert held.wait(30)

    def change_the_fund():
        with transaction.atomic():
            return locked_fund()

    changing = started(change_the_fund)
    kept_waiting = waits_for_a_lock(changing, seconds=3)
    release.set()
    importing.join(), changing.join()
    assert not kept_waiting and isinstance(changing.outcome, Fund), changing.outcome


def test_what_approving_a_request_posts_is_refused_for_now_while_another_holds_the_loan(people, loan):  # noqa: F811
    """The approver's preview rehearses the approval: while another transaction holds the loan
    it says to try again in a moment, after a moment, rather than wait as long as it is held."""
    action = actions.request_action(
        actor=people["officer2"], loan=loan, kind="extension", payload={"months": 6}, reason="Mất mùa"
    )
    held, release = threading.Event(), threading.Event()
    holder = started(holding(lambda: lock_loan(loan.pk), held, release))
    assert held.wait(30)
    try:
        with pytest.raises(ValidationError, match="approve again in a moment"):
            actions.entries_on_approval(actor=people["approver"], action=action, note="Đồng ý")
    finally:
        release.set()
        holder.join()
    # The loan free again: the preview is given (an extension posts nothing).
    assert actions.entries_on_approval(actor=people["approver"], action=action, note="Đồng ý") == []
