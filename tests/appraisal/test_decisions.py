"""Approving, rejecting and undoing an approval: states, authority, four eyes, the terms."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from appraisal import services
from appraisal.services import ApprovalTerms
from common.dates import format_date, format_datetime
from fund import roles
from loans.models import Loan, LoanEvent, LoanStatus
from tests.appraisal import factories
from tests.fund.factories import HouseholdGroupFactory, HouseholdMemberFactory
from tests.fund.helpers import refused

D = Decimal
pytestmark = pytest.mark.django_db
RATE = D("0.066")


def fresh(loan: Loan) -> Loan:
    return Loan.objects.get(pk=loan.pk)


def terms(amount=300_000_000, term_months=24, rate=RATE, **extra) -> ApprovalTerms:
    return ApprovalTerms(amount=D(amount), term_months=term_months, annual_rate=rate, **extra)


# --- the legal transitions ------------------------------------------------------------


def test_an_approver_approves_an_appraised_application(appraised, director, fund):
    loan = services.approve_loan(
        actor=director, loan=appraised, terms=terms(250_000_000, 18, D("0.06"), conditions="Bảo hiểm tài sản")
    )
    loan = fresh(loan)
    assert loan.status == LoanStatus.APPROVED
    assert (loan.approved_amount.amount, loan.approved_term_months, loan.approved_rate) == (
        D(250_000_000),
        18,
        D("0.06"),
    )
    assert loan.approval_conditions == "Bảo hiểm tài sản"
    assert loan.decided_on == fund.business_date
    event = loan.events.get(transition="approve")
    assert (event.source, event.target, event.actor) == ("appraised", "approved", director)


def test_a_rejection_keeps_its_reason_for_the_coop(appraised, director, fund):
    loan = services.reject_loan(actor=director, loan=appraised, reason="Phương án chưa khả thi.")
    loan = fresh(loan)
    assert loan.status == LoanStatus.REJECTED
    assert loan.rejection_reason == "Phương án chưa khả thi."
    assert loan.decided_on == fund.business_date
    assert loan.events.get(transition="reject").note == "Phương án chưa khả thi."


def test_a_rejection_needs_a_reason(appraised, director):
    errors = refused(lambda: services.reject_loan(actor=director, loan=appraised, reason="  "))
    assert errors == {"reason": ["Give the reason for rejecting; the co-op will read it."]}
    assert fresh(appraised).status == LoanStatus.APPRAISED


def test_a_rejection_reason_beyond_its_limit_is_refused(appraised, director):
    errors = refused(lambda: services.reject_loan(actor=director, loan=appraised, reason="x" * 100_000))
    assert errors == {"reason": ["At most 4000 characters (this has 100000)."]}
    assert fresh(appraised).status == LoanStatus.APPRAISED


def test_undoing_an_approval_returns_it_to_appraised_and_clears_the_decision(appraised, director):
    services.approve_loan(actor=director, loan=appraised, terms=terms(conditions="x"))
    loan = services.undo_approval(actor=director, loan=fresh(appraised), reason="Sai lãi suất")
    loan = fresh(loan)
    assert loan.status == LoanStatus.APPRAISED
    assert loan.approved_amount is None and loan.approved_term_months is None and loan.approved_rate is None
    assert loan.approval_conditions == "" and loan.decided_on is None
    assert [e.transition for e in loan.events.all()][-2:] == ["approve", "undo_approval"]
    assert refused(lambda: services.undo_approval(actor=director, loan=loan, reason=""))  # needs a reason too


def test_undoing_then_approving_again_is_possible(appraised, director):
    services.approve_loan(actor=director, loan=appraised, terms=terms())
    services.undo_approval(actor=director, loan=fresh(appraised), reason="Điều chỉnh kỳ hạn")
    loan = services.approve_loan(actor=director, loan=fresh(appraised), terms=terms(term_months=12))
    assert fresh(loan).approved_term_months == 12


# --- illegal transitions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("loan_fixture", "action", "message"),
    [
        ("submitted", "approve", "An application that is submitted cannot be approved."),
        ("appraising", "approve", "An application that is being appraised cannot be approved."),
        ("submitted", "reject", "An application that is submitted cannot be rejected."),
        ("appraised", "undo", "An application that is appraised cannot be returned to appraised."),
    ],
)
def test_a_decision_the_status_does_not_allow_is_a_clear_refusal(
    request, director, levels, loan_fixture, action, message
):
    loan = request.getfixturevalue(loan_fixture)
    call = {
        "approve": lambda: services.approve_loan(actor=director, loan=loan, terms=terms()),
        "reject": lambda: services.reject_loan(actor=director, loan=loan, reason="x"),
        "undo": lambda: services.undo_approval(actor=director, loan=loan, reason="x"),
    }[action]
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.code == "invalid_transition"
    assert caught.value.messages == [message]
    assert fresh(loan).status == loan.status


def test_a_rejected_application_cannot_be_approved(appraised, director):
    services.reject_loan(actor=director, loan=appraised, reason="Không đủ điều kiện")
    errors = refused(lambda: services.approve_loan(actor=director, loan=fresh(appraised), terms=terms()))
    assert errors["__all__"] == ["An application that is rejected cannot be approved."]


def test_a_decision_on_a_loan_someone_else_decided_meanwhile_is_a_conflict(appraised, director, board_member):
    seen_by_board = fresh(appraised)
    services.reject_loan(actor=director, loan=appraised, reason="Không khả thi")
    with pytest.raises(ValidationError) as caught:
        services.approve_loan(actor=board_member, loan=seen_by_board, terms=terms())
    assert caught.value.code == "conflict"
    assert "changed by someone else" in caught.value.messages[0]
    assert fresh(appraised).status == LoanStatus.REJECTED


# --- who may decide -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.FUND_OFFICER, roles.APPRAISER, roles.ACCOUNTANT, roles.COOP_USER])
def test_only_approvers_decide(appraised, user_with_role, role):
    user = user_with_role(role)
    with pytest.raises(PermissionDenied):
        services.approve_loan(actor=user, loan=appraised, terms=terms())
    with pytest.raises(PermissionDenied):
        services.reject_loan(actor=user, loan=appraised, reason="x")
    assert fresh(appraised).status == LoanStatus.APPRAISED


def test_an_approver_without_an_authority_level_cannot_decide(appraised, user_with_role):
    with pytest.raises(PermissionDenied, match="needs the authority of Giám đốc"):
        services.approve_loan(actor=user_with_role(roles.APPROVER), loan=appraised, terms=terms())


def test_four_eyes_the_appraiser_cannot_decide_even_as_an_approver(fund, levels, officer, user_with_role):
    both = user_with_role(roles.APPRAISER, roles.APPROVER)
    levels[1].holders.add(both)  # the board's level: the amount is no obstacle
    loan = factories.appraised_loan(appraiser=both, officer=officer)
    for decide in (
        lambda: services.approve_loan(actor=both, loan=loan, terms=terms()),
        lambda: services.reject_loan(actor=both, loan=loan, reason="x"),
    ):
        with pytest.raises(PermissionDenied, match="You appraised this application"):
            decide()
    assert fresh(loan).status == LoanStatus.APPRAISED


def test_the_director_cannot_approve_above_the_directors_limit(fund, levels, officer, appraiser, director):
    loan = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))
    with pytest.raises(PermissionDenied, match="needs the authority of Hội đồng quản lý"):
        services.approve_loan(actor=director, loan=loan, terms=terms(600_000_000))
    with pytest.raises(PermissionDenied):
        services.reject_loan(actor=director, loan=loan, reason="x")
    assert fresh(loan).status == LoanStatus.APPRAISED


def test_the_board_approves_above_the_directors_limit(fund, levels, officer, appraiser, board_member):
    loan = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))
    services.approve_loan(actor=board_member, loan=loan, terms=terms(600_000_000))
    assert fresh(loan).approved_amount.amount == D(600_000_000)


def test_the_director_may_approve_a_lower_amount_within_the_limit(fund, levels, officer, appraiser, director):
    loan = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))
    services.approve_loan(actor=director, loan=loan, terms=terms(factories.DIRECTOR_LIMIT))
    assert fresh(loan).approved_amount.amount == factories.DIRECTOR_LIMIT


def test_undoing_needs_the_authority_of_the_approved_amount(
    fund, levels, officer, appraiser, director, board_member
):
    loan = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))
    services.approve_loan(actor=board_member, loan=loan, terms=terms(600_000_000))
    with pytest.raises(PermissionDenied):
        services.undo_approval(actor=director, loan=fresh(loan), reason="x")
    services.undo_approval(actor=board_member, loan=fresh(loan), reason="Hồ sơ tài sản bảo đảm sai")
    assert fresh(loan).status == LoanStatus.APPRAISED


# --- the approved terms ----------------------------------------------------------------------


def test_the_approved_terms_stay_within_the_request_and_the_product(appraised, director):
    errors = refused(
        lambda: services.approve_loan(actor=director, loan=appraised, terms=terms(300_000_001, 48, D("0.07")))
    )
    assert set(errors) == {"amount", "term_months", "annual_rate"}
    assert errors["term_months"][0].endswith("lends for 6 to 36 months.")
    assert errors["annual_rate"] == ["The rate cannot be above the product's 6.60\xa0% a year."]
    errors = refused(lambda: services.approve_loan(actor=director, loan=appraised, terms=terms(5_000_000)))
    assert "lends from" in errors["amount"][0]
    assert fresh(appraised).status == LoanStatus.APPRAISED
    assert not LoanEvent.objects.filter(transition="approve").exists()


def test_approving_above_the_waiver_without_collateral_is_refused(fund, levels, officer, appraiser, director):
    loan = factories.appraising_loan(appraiser=appraiser, officer=officer)
    factories.fill_appraisal(appraiser=appraiser, loan=loan, recommend="reject")
    services.remove_collateral(actor=appraiser, collateral=loan.collateral.get())
    loan = services.complete_appraisal(actor=appraiser, loan=loan)
    errors = refused(lambda: services.approve_loan(actor=director, loan=loan, terms=terms()))
    assert errors["amount"] == [
        "Above 100,000,000\xa0VND the product needs collateral, and none is recorded."
    ]
    services.approve_loan(actor=director, loan=fresh(loan), terms=terms(100_000_000))
    assert fresh(loan).status == LoanStatus.APPROVED


def test_approving_beyond_the_borrowers_exposure_limit_is_refused(
    fund, levels, officer, appraiser, board_member
):
    fund.exposure_cap = D(800_000_000)
    fund.save()
    first = factories.appraised_loan(appraiser=appraiser, officer=officer, amount=D(600_000_000))
    second = factories.appraised_loan(
        appraiser=appraiser, officer=officer, borrower=first.borrower, amount=D(300_000_000)
    )
    services.approve_loan(actor=board_member, loan=first, terms=terms(600_000_000))
    errors = refused(lambda: services.approve_loan(actor=board_member, loan=second, terms=terms()))
    assert "above the fund's limit of 800,000,000\xa0VND" in errors["amount"][0]
    services.approve_loan(actor=board_member, loan=fresh(second), terms=terms(200_000_000))


# --- household groups ---------------------------------------------------------------------


@pytest.fixture
def group_loan(fund, levels, officer, appraiser):
    group = HouseholdGroupFactory()
    members = HouseholdMemberFactory.create_batch(3, borrower=group)
    shares = list(zip(members, [D(100_000_000), D(80_000_000), D(20_000_000)], strict=True))
    return factories.appraised_loan(
        appraiser=appraiser, officer=officer, borrower=group, amount=D(200_000_000), shares=shares
    )


def test_an_unchanged_amount_approves_each_household_its_request(group_loan, director):
    services.approve_loan(actor=director, loan=group_loan, terms=terms(200_000_000))
    shares = fresh(group_loan).member_shares.order_by("pk")
    assert [s.approved_amount.amount for s in shares] == [D(100_000_000), D(80_000_000), D(20_000_000)]


def test_a_lower_amount_needs_each_households_share(group_loan, director):
    errors = refused(lambda: services.approve_loan(actor=director, loan=group_loan, terms=terms(150_000_000)))
    assert errors == {
        "shares": ["The amount is not the one requested: give each household's approved share."]
    }
    first, second, third = group_loan.member_shares.order_by("pk")
    errors = refused(
        lambda: services.approve_loan(
            actor=director,
            loan=group_loan,
            terms=terms(
                150_000_000, shares={first.pk: D(90_000_000), second.pk: D(90_000_000), third.pk: D(1)}
            ),
        )
    )
    assert errors["shares"] == [
        f"{second.member}: the approved share cannot exceed the 80,000,000\xa0VND requested."
    ]
    errors = refused(
        lambda: services.approve_loan(
            actor=director,
            loan=group_loan,
            terms=terms(
                150_000_000, shares={first.pk: D(90_000_000), second.pk: D(50_000_000), third.pk: D(1)}
            ),
        )
    )
    assert errors["shares"] == [
        "The households' shares add up to 140,000,001\xa0VND, not the amount of 150,000,000\xa0VND."
    ]
    services.approve_loan(
        actor=director,
        loan=group_loan,
        terms=terms(
            150_000_000, shares={first.pk: D(80_000_000), second.pk: D(60_000_000), third.pk: D(10_000_000)}
        ),
    )
    assert [s.approved_amount.amount for s in fresh(group_loan).member_shares.order_by("pk")] == [
        D(80_000_000),
        D(60_000_000),
        D(10_000_000),
    ]


def test_undoing_a_group_approval_clears_the_households_shares(group_loan, director):
    services.approve_loan(actor=director, loan=group_loan, terms=terms(200_000_000))
    services.undo_approval(actor=director, loan=fresh(group_loan), reason="Xem lại danh sách hộ")
    assert [s.approved_amount for s in fresh(group_loan).member_shares.all()] == [None, None, None]


def test_shares_are_refused_on_a_loan_to_one_coop(appraised, director):
    errors = refused(
        lambda: services.approve_loan(actor=director, loan=appraised, terms=terms(shares={1: D(1)}))
    )
    assert errors == {"shares": ["Only a household group's loan is split among households."]}


def test_decided_on_is_the_business_date_not_the_calendar(appraised, director, fund):
    fund.business_date = dt.date(2026, 3, 5)
    fund.save()
    services.approve_loan(actor=director, loan=appraised, terms=terms())
    assert fresh(appraised).decided_on == dt.date(2026, 3, 5)


@pytest.mark.parametrize(
    ("language", "business", "clock"),
    [("en", "{} (business date)", "recorded at {}"), ("vi", "{} (ngày nghiệp vụ)", "ghi lúc {}")],
)
def test_the_loan_page_says_which_dates_are_business_dates_and_which_the_clock(
    client, appraised, director, language, business, clock
):
    """Submission and decision are dated on the business date, which can be behind the clock the
    appraisal and the history are recorded on (issue 20): each says which it is."""
    loan = fresh(services.approve_loan(actor=director, loan=appraised, terms=terms()))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(director)
    page = client.get(reverse("loans:loan_detail", args=[loan.pk])).content.decode()
    with translation.override(language):
        assert business.format(format_date(loan.submitted_on)) in page
        assert business.format(format_date(loan.decided_on)) in page
        assert clock.format(format_datetime(loan.appraisal.completed_at)) in page
        history = page.split('id="history"')[1].split("</section>")[0]
        assert f"<th>{_('Recorded at')}</th>" in history
        assert all(format_datetime(event.at) in history for event in loan.events.all())


def test_the_queue_and_the_loan_list_say_which_dates_are_business_dates(
    client, submitted, appraising, appraiser, officer
):
    """As the loan page (issue 20): submission on the business date, an appraisal's start on the clock."""
    client.force_login(appraiser)
    queue = client.get(reverse("appraisal:queue")).content.decode()
    client.force_login(officer)
    listed = client.get(reverse("loans:applications"), {"status": "submitted"}).content.decode()
    with translation.override("en"):  # the pages' language here (conftest)
        submitted_on = f"{format_date(fresh(submitted).submitted_on)} (business date)"
        started = f"recorded at {format_datetime(fresh(appraising).appraisal.started_at)}"
    assert submitted_on in queue and started in queue
    assert submitted_on in listed
