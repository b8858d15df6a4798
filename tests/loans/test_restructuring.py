"""Extension, rescheduling and interest waiver, worked by hand on the example loan: 120 000 000
at 12 %/year from 15/01/2026 for 12 months, 10 000 000 of principal a month (conftest's ROW1,
ROW2). Interest = principal × 0.12 × days / 365, rounded half-up once where it becomes a row."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from fund import roles
from fund.models import AuthorityLevel, Fund
from ledger.models import JournalEntry
from loans.models import ActionStatus, Loan, LoanBalance, LoanTransaction, ScheduleVersion
from loans.selectors.reconciliation import reconciliation
from loans.services import actions
from loans.services.closing.runs import close_until
from tests.appraisal.test_dashboard import card, count_and_link
from tests.loans.conftest import ROW1, household_group_loan, move_to

FEB20 = dt.date(2026, 2, 20)


@pytest.fixture
def people(fund, staff, user_with_role):
    level = AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=None)
    level.holders.add(staff["approver"])
    staff["officer2"] = user_with_role(roles.FUND_OFFICER)
    return staff


def approved(people, loan, kind, **payload):
    action = actions.request_action(
        actor=people["officer2"], loan=loan, kind=kind, payload=payload, reason="Mất mùa"
    )
    return actions.approve_action(actor=people["approver"], action=action, note="Đồng ý")


def current(loan) -> LoanBalance:
    return LoanBalance.objects.get(loan=loan, valid_to__isnull=True)


def books_agree(day):
    assert {row.code: row.difference for row in reconciliation(as_of=day) if row.difference} == {}


def test_an_extension_spreads_what_is_left_to_the_new_maturity(fund, people, loan):
    # 20/02: row 1 (due 15/02) unpaid. Extended by 6 months, its principal too: from 15/02 (the
    # grid goes on) 11 + 6 = 17 monthly dates to 15/07/2027 share 120 000 000:
    # 120 000 000 / 17 = 7 058 823.5 -> 7 058 824 on 16 rows, the last 7 058 816.
    move_to(FEB20)
    action = approved(people, loan, "extension", months=6)
    assert action.status == ActionStatus.APPLIED
    version = ScheduleVersion.objects.filter(loan=loan).latest("number")
    assert (version.reason, version.effective_date) == ("extension", FEB20)
    rows = list(version.rows.filter(due_date__gt=FEB20).order_by("position"))
    assert len(rows) == 17
    assert [r.principal.amount for r in rows] == [D(7_058_824)] * 16 + [D(7_058_816)]
    assert rows[-1].due_date == dt.date(2027, 7, 15)
    # Numbered on from row 1, which stays: the new dates are rows 2 to 18, not 1 to 17 again.
    assert list(version.rows.order_by("position").values_list("number", flat=True)) == list(range(1, 19))
    # The first new row collects the period's interest: 5 days on 110 000 000 before the
    # extension (180 821.92) and 23 days on 120 000 000 after it (907 397.26): 1 088 219.
    assert rows[0].interest.amount == D(1_088_219)
    # Row 1's interest stays overdue (an extension moves principal, it capitalises nothing).
    row = current(loan)
    assert (row.principal_in_term.amount, row.principal_overdue.amount) == (D(120_000_000), D(0))
    assert row.interest_overdue.amount == ROW1 - D(10_000_000)
    assert (row.next_due_date, row.next_due_amount.amount) == (dt.date(2026, 3, 15), D(7_058_824 + 1_088_219))
    assert (row.restructured, row.restructure_count) == (True, 1)
    loan.refresh_from_db()
    assert (loan.restructure_count, loan.restructured_on, loan.restructured_group) == (1, FEB20, 1)
    books_agree(FEB20)


def test_the_loan_page_says_when_it_was_last_restructured_and_holds_no_group_1_loan(
    client, fund, people, loan
):
    move_to(FEB20)
    approved(people, loan, "extension", months=6)
    client.force_login(people["officer2"])
    page = client.get(loan.get_absolute_url()).content.decode()  # in Vietnamese, the fund's language
    assert re.search(r"Đã cơ cấu lại 1 lần</span>\s*· lần gần nhất ngày 20/02/2026", page)
    # The extension kept the loan in group 1, the best: nothing holds it there.
    assert "giữ ở nhóm" not in page


def test_an_extension_beyond_the_products_limit_or_on_a_closed_loan_is_refused(fund, people, loan, client):
    # A 12-month loan is short-term: the product lets it go 12 months beyond its maturity.
    move_to(FEB20)
    with pytest.raises(ValidationError) as refused:
        approved(people, loan, "extension", months=13)
    assert "at most 12 months" in refused.value.message_dict["months"][0]
    approved(people, loan, "extension", months=8)
    with pytest.raises(ValidationError) as refused:
        approved(people, loan, "extension", months=5)
    assert "8 are taken by earlier extensions" in refused.value.message_dict["months"][0]
    # The page says so on the field, never a 500.
    client.force_login(people["officer2"])
    client.cookies["django_language"] = "en"
    page = client.post(
        reverse("loans:action_new", args=[loan.pk, "extension"]), {"months": "5", "reason": "x"}
    )
    assert page.status_code == 400 and "earlier extensions" in page.content.decode()
    Loan.objects.filter(pk=loan.pk).update(status="closed")
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="not possible on a loan that is closed"),
    ):
        approved(people, loan, "extension", months=1)


def test_a_waiver_of_accrued_interest_takes_it_off_the_receivable_against_income(fund, people, loan):
    # Closed through 31/01: the month end accrued 17 days on 120 000 000 (15/01 to 01/02):
    # 120 000 000 × 0.12 × 17 / 365 = 670 684.9 -> 670 685 to 13881 / 5151.
    close_until(actor=people["accountant"], until=dt.date(2026, 2, 1))
    before = LoanTransaction.objects.filter(loan=loan).count()
    action = approved(people, loan, "waiver", part="accrued", amount=D(500_000))
    waived = LoanTransaction.objects.filter(loan=loan).exclude(pk__lte=0).order_by("pk")[before]
    assert (waived.kind, waived.amount.amount, waived.interest_receivable) == (
        "waiver",
        D(500_000),
        D(-500_000),
    )
    lines = {
        (line.account.code, line.debit.amount, line.credit.amount)
        for line in waived.journal_entry.lines.all()
    }
    assert lines == {("5151", D(500_000), D(0)), ("13881", D(0), D(500_000))}
    # Row 1 now collects 500 000 less interest: 1 223 014 - 500 000.
    version = ScheduleVersion.objects.filter(loan=loan).latest("number")
    assert version.rows.order_by("position").first().interest.amount == ROW1 - D(10_000_000) - D(500_000)
    assert action.outcome.startswith("500,000")
    books_agree(dt.date(2026, 2, 1))
    # More than is owed is refused by its field.
    with pytest.raises(ValidationError) as refused:
        approved(people, loan, "waiver", part="accrued", amount=D(5_000_000))
    assert "amount" in refused.value.message_dict


def test_the_approver_sees_the_waivers_entry_before_it_posts_and_nothing_is_kept_until_then(
    client, fund, people, loan
):
    close_until(actor=people["accountant"], until=dt.date(2026, 2, 1))
    action = actions.request_action(
        actor=people["officer2"],
        loan=loan,
        kind="waiver",
        payload={"part": "accrued", "amount": D(500_000)},
        reason="Mất mùa",
    )
    client.force_login(people["approver"])
    client.cookies["django_language"] = "en"
    url = reverse("loans:action_decide", args=[action.pk, "approve"])
    entries, transactions = JournalEntry.objects.count(), LoanTransaction.objects.count()
    shown = client.post(url, {"note": "Đồng ý"})
    page = shown.content.decode()
    assert shown.status_code == 200
    assert re.search(r"5151 · .*?500,000", page, re.S) and re.search(r"13881 · .*?500,000", page, re.S)
    # Nothing stays of the rehearsal: no entry, no loan transaction, the request still waiting,
    # and no entry number used up (the next entry takes the next number).
    assert (JournalEntry.objects.count(), LoanTransaction.objects.count()) == (entries, transactions)
    action.refresh_from_db()
    assert action.status == ActionStatus.REQUESTED
    last = JournalEntry.objects.filter(year=2026).order_by("sequence").last().sequence
    client.post(url, {"note": "Đồng ý", "confirm": "1"})
    action.refresh_from_db()
    assert action.status == ActionStatus.APPLIED
    posted = JournalEntry.objects.get(year=2026, sequence=last + 1)
    assert {(line.account.code, line.debit.amount, line.credit.amount) for line in posted.lines.all()} == {
        ("5151", D(500_000), D(0)),
        ("13881", D(0), D(500_000)),
    }


def test_a_rescheduled_group_3_loan_stays_in_group_3_until_three_installments_are_paid_on_time(
    fund, people, loan, monkeypatch
):
    from django.utils import timezone

    from loans.selectors.position import loan_position

    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2027, 12, 31))
    may20 = dt.date(2026, 5, 20)
    close_until(actor=people["accountant"], until=may20)  # row 1 unpaid since 15/02: 94 days past due
    loan.refresh_from_db()
    assert (loan.debt_group, loan.accrual_suspended) == (3, True)
    action = actions.request_action(
        actor=people["officer2"],
        loan=loan,
        kind="rescheduling",
        payload={
            "term_months": 12,
            "amortization": "equal_principal",
            "principal_frequency": 1,
            "interest_frequency": 1,
            "annual_rate": D("0.12"),
        },
        reason="Mất mùa",
    )
    actions.approve_action(actor=people["approver"], action=action, decision={"overdue": "capitalise"})
    # In non-accrual nothing is on the receivable: no interest capitalised, the suspended
    # interest stays overdue; the 40 000 000 overdue principal went back in term.
    assert not LoanTransaction.objects.filter(loan=loan, kind="capitalised").exists()
    moved = LoanTransaction.objects.get(loan=loan, kind="overdue", journal_entry__source_kind="loan_action")
    assert (moved.amount.amount, moved.overdue_principal) == (D(40_000_000), D(-40_000_000))
    row = current(loan)
    assert (row.principal_in_term.amount, row.principal_overdue.amount) == (D(120_000_000), D(0))
    assert row.next_due_date == dt.date(2026, 6, 20)
    books_agree(may20)

    def pay_what_is_due(day):
        if Fund.objects.get().business_date < day:
            close_until(actor=people["accountant"], until=day)
        from loans.services.servicing.repayments import RepaymentInput, record_repayment

        due = loan_position(Loan.objects.get(pk=loan.pk), as_of=day).to_pay_now
        record_repayment(
            actor=people["officer"],
            loan=Loan.objects.get(pk=loan.pk),
            entry=RepaymentInput(value_date=day, amount=due, channel="bank_transfer"),
        )

    def group_after(day):
        close_until(actor=people["accountant"], until=day + dt.timedelta(days=1))
        return Loan.objects.get(pk=loan.pk).debt_group

    pay_what_is_due(may20)  # what stayed overdue: the suspended interest and the late interest
    assert group_after(may20) == 3  # nothing overdue, yet held in group 3
    for due in (dt.date(2026, 6, 20), dt.date(2026, 7, 20)):
        pay_what_is_due(due)
        assert group_after(due) == 3
    pay_what_is_due(dt.date(2026, 8, 20))
    assert group_after(dt.date(2026, 8, 20)) == 1  # the third installment on time: cured
    assert Loan.objects.get(pk=loan.pk).restructured_group is None
    books_agree(dt.date(2026, 8, 21))


def test_a_household_groups_loan_is_not_offered_what_cannot_be_asked_for_it(client, fund, people, bank):
    group_loan, _members = household_group_loan(people, bank, D(30_000_000), D(20_000_000))
    client.force_login(people["officer2"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("loans:loan_detail", args=[group_loan.pk])).content.decode()
    for kind in ("extension", "rescheduling", "waiver"):
        url = reverse("loans:action_new", args=[group_loan.pk, kind])
        assert url not in page, kind
        refused = client.get(url, follow=True)
        assert refused.redirect_chain[-1][0] == group_loan.get_absolute_url(), kind
        assert "cannot be restructured here yet" in refused.content.decode(), kind
    assert reverse("loans:action_new", args=[group_loan.pk, "write_off"]) in page


def test_the_approvers_home_page_counts_the_requests_waiting_for_it(client, fund, people, loan):
    action = actions.request_action(
        actor=people["officer2"], loan=loan, kind="extension", payload={"months": 6}, reason="Mất mùa"
    )
    client.cookies["django_language"] = "en"
    count, url = count_and_link(
        card(client, people["approver"], "approver"), "Restructuring and write-off requests waiting for you"
    )
    assert count == 1
    assert action.get_absolute_url() in client.get(url).content.decode()
    actions.approve_action(actor=people["approver"], action=action, note="Đồng ý")
    shown = card(client, people["approver"], "approver")
    assert count_and_link(shown, "Restructuring and write-off requests waiting for you")[0] == 0
