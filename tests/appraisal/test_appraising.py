"""Taking an application, recording each section of its appraisal, completing it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from appraisal import services
from appraisal.models import Appraisal, AppraisalRules, ScoringCriterion
from appraisal.selectors import appraisal_figures
from appraisal.services import CashFlowFigures, RatingInput, RecommendationInput
from common.text import LONG_TEXT_MAX
from fund import roles
from fund.models import DocumentType
from loans.models import Collateral, Loan, LoanEvent, LoanStatus
from tests.appraisal import factories
from tests.fund.factories import BorrowerFactory
from tests.fund.helpers import refused

D = Decimal
pytestmark = pytest.mark.django_db


def fresh(loan: Loan) -> Loan:
    return Loan.objects.get(pk=loan.pk)


# --- taking an application ------------------------------------------------------------


def test_an_appraiser_takes_a_submitted_application(submitted, appraiser):
    appraisal = services.start_appraisal(actor=appraiser, loan=submitted, note="Nhận hồ sơ")
    loan = fresh(submitted)
    assert loan.status == LoanStatus.APPRAISING
    assert appraisal.loan == loan and appraisal.appraiser == appraiser
    event = loan.events.get(transition="start_appraisal")
    assert (event.source, event.target, event.actor, event.note) == (
        "submitted",
        "appraising",
        appraiser,
        "Nhận hồ sơ",
    )


@pytest.mark.parametrize("role", [roles.FUND_OFFICER, roles.APPROVER, roles.ACCOUNTANT, roles.COOP_USER])
def test_only_appraisers_take_applications(submitted, user_with_role, role):
    with pytest.raises(PermissionDenied):
        services.start_appraisal(actor=user_with_role(role), loan=submitted)
    assert fresh(submitted).status == LoanStatus.SUBMITTED
    assert not Appraisal.objects.exists()


def test_a_second_appraiser_taking_the_same_application_is_told_someone_else_did(submitted, user_with_role):
    first, second = user_with_role(roles.APPRAISER), user_with_role(roles.APPRAISER)
    seen_by_second = fresh(submitted)
    services.start_appraisal(actor=first, loan=submitted)
    with pytest.raises(ValidationError) as caught:
        services.start_appraisal(actor=second, loan=seen_by_second)
    assert caught.value.code == "conflict"
    assert "changed by someone else" in caught.value.messages[0]
    assert Appraisal.objects.get().appraiser == first


def test_a_draft_cannot_be_taken_into_appraisal(fund, officer, appraiser):
    loan = factories.submitted_loan(officer=officer)
    draft = Loan.objects.create(
        borrower=loan.borrower,
        product=loan.product,
        amount=D(50_000_000),
        term_months=12,
        purpose="x",
        created_by=officer,
    )
    errors = refused(lambda: services.start_appraisal(actor=appraiser, loan=draft))
    assert errors["__all__"] == ["An application that is draft cannot be taken into appraisal."]


# --- sections -------------------------------------------------------------------------


def test_statements_are_saved_and_their_ratios_computed(appraising, appraiser):
    services.save_financial_statements(
        actor=appraiser,
        loan=appraising,
        statements=[
            factories.statement_figures(2024),
            factories.statement_figures(2025, profit=D(-10_000_000)),
        ],
    )
    lines = appraisal_figures(appraising.appraisal).statements
    assert [line.statement.year for line in lines] == [2024, 2025]
    assert lines[0].ratios.debt_to_equity == D("1.5000")  # 600 / 400 million
    assert lines[1].ratios.return_on_assets == D("-0.0100")  # −10 / 1 000 million


def test_a_statement_that_does_not_balance_is_refused_on_its_cell_and_nothing_changes(appraising, appraiser):
    services.save_financial_statements(
        actor=appraiser, loan=appraising, statements=[factories.statement_figures(2024)]
    )
    errors = refused(
        lambda: services.save_financial_statements(
            actor=appraiser,
            loan=appraising,
            statements=[
                factories.statement_figures(2024, revenue=D(1)),
                factories.statement_figures(2025, equity=D(300_000_000)),  # 1 000 ≠ 600 + 300
                factories.statement_figures(2023, current_assets=D(2_000_000_000)),
            ],
        )
    )
    assert errors == {
        "1.total_assets": ["Total assets must equal total liabilities plus equity; check the figures."],
        "2.current_assets": ["Current assets cannot exceed total assets."],
    }
    assert [s.revenue.amount for s in appraising.appraisal.statements.all()] == [D(2_000_000_000)]


def test_statements_are_limited_to_the_funds_number_of_years(appraising, appraiser):
    AppraisalRules.objects.update(statement_years=2)
    errors = refused(
        lambda: services.save_financial_statements(
            actor=appraiser,
            loan=appraising,
            statements=[factories.statement_figures(year) for year in (2023, 2024, 2025)],
        )
    )
    assert errors["__all__"] == ["Give at most 2 years of statements."]


def test_statement_years_and_figures_are_checked_row_by_row(appraising, appraiser):
    errors = refused(
        lambda: services.save_financial_statements(
            actor=appraiser,
            loan=appraising,
            statements=[
                factories.statement_figures(2024, costs=None),
                factories.statement_figures(2024, revenue=D("10.5")),
                factories.statement_figures(None),
            ],
        )
    )
    assert errors["0.costs"] == ["Give this figure (0 if there is none)."]
    assert errors["1.year"] == ["Each year appears once."]
    assert errors["1.revenue"] == ["Give a whole number of đồng."]
    assert errors["2.year"] == ["Give the year of the statement; it cannot be in the future."]


def test_the_cash_flow_runs_from_year_1_without_gaps(appraising, appraiser):
    errors = refused(
        lambda: services.save_cash_flow(
            actor=appraiser,
            loan=appraising,
            years=[CashFlowFigures(1, D(10), D(5)), CashFlowFigures(3, D(10), D(5))],
        )
    )
    assert errors == {"__all__": ["The plan's years run without gaps; year 2 is missing."]}
    errors = refused(
        lambda: services.save_cash_flow(
            actor=appraiser, loan=appraising, years=[CashFlowFigures(1, D(-1), None)]
        )
    )
    assert errors == {
        "0.inflow": ["This cannot be negative."],
        "0.outflow": ["Give this figure (0 if there is none)."],
    }
    assert not appraising.appraisal.cash_flow.exists()


BEYOND_A_MONEY_COLUMN = D(10) ** 18  # MoneyField(max_digits=18) holds at most 18 digits


def test_figures_too_large_to_store_are_refused_on_their_cell(appraising, appraiser):
    huge = BEYOND_A_MONEY_COLUMN
    statement = factories.statement_figures(2024, total_assets=huge, total_liabilities=huge, equity=D(0))
    errors = refused(
        lambda: services.save_financial_statements(actor=appraiser, loan=appraising, statements=[statement])
    )
    assert set(errors) == {"0.total_assets", "0.total_liabilities"}
    errors = refused(
        lambda: services.save_cash_flow(
            actor=appraiser, loan=appraising, years=[CashFlowFigures(1, huge, D(0))]
        )
    )
    assert set(errors) == {"0.inflow"}
    errors = refused(
        lambda: services.add_collateral(
            actor=appraiser, loan=appraising, item=factories.collateral_terms(valuation=huge)
        )
    )
    assert set(errors) == {"valuation"}
    assert not appraising.appraisal.statements.exists() and not appraising.appraisal.cash_flow.exists()
    assert not Collateral.objects.exists()


def test_collateral_is_recorded_on_the_loan_with_what_the_fund_may_lend_against_it(appraising, appraiser):
    item = services.add_collateral(actor=appraiser, loan=appraising, item=factories.collateral_terms())
    assert item.loan == appraising and item.recorded_by == appraiser
    assert item.lending_value == D(420_000_000)  # 600 million × 70 %
    figures = appraisal_figures(appraising.appraisal)
    assert figures.collateral_coverage == D("1.4000")  # 420 / 300 million requested

    services.update_collateral(
        actor=appraiser, collateral=item, item=factories.collateral_terms(loan_to_value=D("0.5"))
    )
    assert appraisal_figures(appraising.appraisal).collateral_lending_value == D(300_000_000)
    services.remove_collateral(actor=appraiser, collateral=item)
    assert not Collateral.objects.exists()


def test_collateral_values_are_checked_field_by_field(appraising, appraiser):
    errors = refused(
        lambda: services.add_collateral(
            actor=appraiser,
            loan=appraising,
            item=factories.collateral_terms(
                type="gold",
                owner=" ",
                valued_on=dt.date(2999, 1, 1),
                loan_to_value=D("1.2"),
                provisioning_value=D(700_000_000),
            ),
        )
    )
    assert set(errors) == {"type", "owner", "valued_on", "loan_to_value", "provisioning_value"}
    assert errors["provisioning_value"] == ["The value allowed for provisioning cannot exceed the valuation."]
    assert not Collateral.objects.exists()


def test_a_collateral_description_longer_than_a_long_text_is_refused(appraising, appraiser):
    item = factories.collateral_terms(description="x" * (LONG_TEXT_MAX + 1))
    errors = refused(lambda: services.add_collateral(actor=appraiser, loan=appraising, item=item))
    assert errors == {"description": [f"At most {LONG_TEXT_MAX} characters (this has {LONG_TEXT_MAX + 1})."]}
    assert not Collateral.objects.exists()


def test_ratings_keep_the_weight_and_scale_they_were_given_under(appraising, appraiser):
    criteria = list(ScoringCriterion.objects.filter(active=True))
    services.save_ratings(
        actor=appraiser,
        loan=appraising,
        ratings=[
            RatingInput(criterion, rating)
            for criterion, rating in zip(criteria, [5, 4, 3, 4, 2, 5], strict=True)
        ],
    )
    assert appraisal_figures(appraising.appraisal).score == D("0.7500")  # worked out in test_analysis
    # The fund reweighs a criterion later: the ratings already given keep their weights.
    ScoringCriterion.objects.filter(code="business_plan").update(weight=D(90))
    AppraisalRules.objects.update(rating_scale=10)
    assert appraisal_figures(appraising.appraisal).score == D("0.7500")


def test_a_rating_outside_the_scale_is_refused(appraising, appraiser):
    criterion = ScoringCriterion.objects.first()
    errors = refused(
        lambda: services.save_ratings(actor=appraiser, loan=appraising, ratings=[RatingInput(criterion, 6)])
    )
    assert errors == {"0.rating": ["Rate from 0 to 5."]}


def test_the_site_visit_needs_a_past_date_and_findings(appraising, appraiser):
    errors = refused(
        lambda: services.record_site_visit(
            actor=appraiser, loan=appraising, visited_on=dt.date(2999, 1, 1), participants="", notes=" "
        )
    )
    assert errors == {
        "visited_on": ["The visit cannot be in the future."],
        "notes": ["Write what the visit found."],
    }


def test_an_approval_recommendation_must_fit_the_request_and_the_product(appraising, appraiser):
    errors = refused(
        lambda: services.save_recommendation(
            actor=appraiser,
            loan=appraising,
            recommendation=RecommendationInput(
                decision="approve",
                amount=D(400_000_000),  # 300 million were requested
                term_months=48,  # the product lends for 6 to 36 months
                annual_rate=D("0.08"),  # above the product's 6.6 %
                grace_months=7,  # the product allows 6
            ),
        )
    )
    assert set(errors) == {"amount", "term_months", "annual_rate", "grace_months"}
    assert errors["amount"] == ["The amount cannot be more than the 300,000,000\xa0VND requested."]
    assert appraising.appraisal.recommendation == ""


def test_a_term_the_products_frequency_does_not_divide_is_refused(fund, officer, appraiser):
    quarterly = factories.product(principal_frequency=3, interest_frequency=3)
    loan = factories.appraising_loan(
        appraiser=appraiser, officer=officer, loan_product=quarterly, term_months=24
    )
    errors = refused(
        lambda: services.save_recommendation(
            actor=appraiser,
            loan=loan,
            recommendation=RecommendationInput(
                decision="approve", amount=D(300_000_000), term_months=10, annual_rate=D("0.066")
            ),
        )
    )
    assert errors == {"term_months": ["A 10-month term is not a whole number of 3-month periods."]}


def test_a_rejection_recommendation_needs_reasons_and_clears_terms(appraising, appraiser):
    errors = refused(
        lambda: services.save_recommendation(
            actor=appraiser, loan=appraising, recommendation=RecommendationInput(decision="reject")
        )
    )
    assert errors == {"rejection_reasons": ["Give the reasons to reject."]}
    services.save_recommendation(
        actor=appraiser,
        loan=appraising,
        recommendation=RecommendationInput(
            decision="approve", amount=D(250_000_000), term_months=24, annual_rate=D("0.066")
        ),
    )
    appraisal = services.save_recommendation(
        actor=appraiser,
        loan=appraising,
        recommendation=RecommendationInput(
            decision="reject", rejection_reasons="Thị trường đầu ra không ổn định."
        ),
    )
    assert appraisal.recommended_amount is None and appraisal.proposal_starts_on is None
    assert appraisal_figures(appraisal).schedule == []


def test_the_proposed_schedule_starts_on_the_business_date_of_the_recommendation(appraising, appraiser, fund):
    appraisal = services.save_recommendation(
        actor=appraiser,
        loan=appraising,
        recommendation=RecommendationInput(
            decision="approve", amount=D(180_000_000), term_months=24, annual_rate=D("0.066"), grace_months=6
        ),
    )
    schedule = appraisal_figures(appraisal).schedule
    assert appraisal.proposal_starts_on == fund.business_date == dt.date(2026, 3, 2)
    assert schedule[0].due_date == dt.date(2026, 4, 2) and schedule[-1].due_date == dt.date(2028, 3, 2)
    # Six months' grace: no principal falls due until the seventh installment; then
    # 180 million in 18 equal parts of 10 million.
    assert [row.principal for row in schedule] == [D(0)] * 6 + [D(10_000_000)] * 18


# --- who may change the appraisal --------------------------------------------------------


def test_only_the_appraiser_who_took_it_changes_the_appraisal(appraising, user_with_role):
    other = user_with_role(roles.APPRAISER)
    with pytest.raises(PermissionDenied, match="is appraising this application"):
        services.save_dossier_review(actor=other, loan=appraising, notes="x")
    for role in (roles.FUND_OFFICER, roles.COOP_USER, roles.APPROVER):
        with pytest.raises(PermissionDenied):
            services.record_site_visit(
                actor=user_with_role(role),
                loan=appraising,
                visited_on=dt.date(2026, 3, 1),
                participants="",
                notes="x",
            )
    assert fresh(appraising).appraisal.dossier_notes == ""


def test_a_completed_appraisal_no_longer_changes(appraised, appraiser):
    errors = refused(lambda: services.save_dossier_review(actor=appraiser, loan=appraised, notes="late"))
    assert errors["__all__"] == [
        "The appraisal can be changed only while the application is being appraised; it is appraised."
    ]
    with pytest.raises(ValidationError, match="being appraised"):
        services.add_collateral(actor=appraiser, loan=appraised, item=factories.collateral_terms())
    assert appraised.collateral.count() == 1


# --- completing ---------------------------------------------------------------------------


def test_an_empty_appraisal_cannot_be_completed_and_says_what_is_missing(appraising, appraiser):
    errors = refused(lambda: services.complete_appraisal(actor=appraiser, loan=appraising))
    assert set(errors) == {"site_visit", "score", "recommendation"}
    assert fresh(appraising).status == LoanStatus.APPRAISING
    assert fresh(appraising).appraisal.completed_at is None


def test_an_approval_recommendation_needs_a_plan_for_every_loan_year_and_the_collateral(
    appraising, appraiser
):
    factories.fill_appraisal(appraiser=appraiser, loan=appraising)
    services.save_cash_flow(
        actor=appraiser, loan=appraising, years=[CashFlowFigures(1, D(500_000_000), D(100_000_000))]
    )
    services.remove_collateral(actor=appraiser, collateral=appraising.collateral.get())
    errors = refused(lambda: services.complete_appraisal(actor=appraiser, loan=appraising))
    assert errors["cash_flow"] == ["Give the business plan's cash flow for every loan year; missing: 2."]
    assert errors["collateral"][0].startswith("Above ")
    assert set(errors) == {"cash_flow", "collateral"}


def test_a_dossier_still_missing_a_required_document_blocks_completion(fund, officer, appraiser):
    # Submitting refuses an incomplete dossier, so such an application can only come from
    # elsewhere (say the fund's earlier register): it is written here as it would be found.
    product = factories.product()
    product.required_documents.add(DocumentType.objects.get(code="business_plan"))
    loan = Loan.objects.create(
        borrower=BorrowerFactory(),
        product=product,
        amount=D(300_000_000),
        term_months=24,
        purpose="Mua máy gặt",
        created_by=officer,
        status=LoanStatus.SUBMITTED,
    )
    services.start_appraisal(actor=appraiser, loan=loan)
    factories.fill_appraisal(appraiser=appraiser, loan=fresh(loan))
    errors = refused(lambda: services.complete_appraisal(actor=appraiser, loan=fresh(loan)))
    assert errors == {"dossier": ["The dossier lacks: Business plan."]}
    page_errors = appraisal_figures(fresh(loan).appraisal).missing_documents
    assert [d.code for d in page_errors] == ["business_plan"]


def test_a_complete_appraisal_is_completed(appraising, appraiser):
    factories.fill_appraisal(appraiser=appraiser, loan=appraising)
    loan = services.complete_appraisal(actor=appraiser, loan=appraising, note="Đủ điều kiện")
    assert loan.status == LoanStatus.APPRAISED
    assert fresh(loan).appraisal.completed_at is not None
    event = LoanEvent.objects.get(loan=loan, transition="complete_appraisal")
    assert (event.source, event.target, event.actor) == ("appraising", "appraised", appraiser)


def test_a_rejection_recommendation_completes_without_plan_or_collateral(appraising, appraiser):
    factories.fill_appraisal(appraiser=appraiser, loan=appraising, recommend="reject")
    services.save_cash_flow(actor=appraiser, loan=appraising, years=[])
    services.remove_collateral(actor=appraiser, collateral=appraising.collateral.get())
    assert services.complete_appraisal(actor=appraiser, loan=appraising).status == LoanStatus.APPRAISED


def test_another_appraiser_cannot_complete_it(appraising, appraiser, user_with_role):
    factories.fill_appraisal(appraiser=appraiser, loan=appraising)
    with pytest.raises(PermissionDenied):
        services.complete_appraisal(actor=user_with_role(roles.APPRAISER), loan=appraising)
    assert fresh(appraising).status == LoanStatus.APPRAISING


@pytest.mark.parametrize("loan_fixture", ["submitted", "appraised"])
def test_completing_is_refused_unless_the_application_is_being_appraised(request, loan_fixture, appraiser):
    loan = request.getfixturevalue(loan_fixture)
    errors = refused(lambda: services.complete_appraisal(actor=appraiser, loan=loan))
    assert errors["__all__"][0].endswith("cannot be marked appraised.")
