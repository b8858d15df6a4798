"""Applications at each step of their appraisal, made through the real services.

The fund's records come from `tests.fund.factories`; everything about a loan goes through
`loans` and `appraisal` services, so a factory-made loan is one the application could make.
"""

import datetime as dt
from decimal import Decimal

from appraisal import services
from appraisal.models import ScoringCriterion
from appraisal.selectors import appraisal_rules
from appraisal.services import (
    CashFlowFigures,
    CollateralTerms,
    RatingInput,
    RecommendationInput,
    StatementFigures,
)
from fund.models import AuthorityLevel, Borrower, Fund, LoanProduct
from loans.models import Collateral, Loan
from loans.services.origination.applications import ApplicationTerms, create_application, submit_application
from tests.fund.factories import BorrowerFactory, LoanProductFactory

DIRECTOR_LIMIT = Decimal("500000000")


def authority_levels(fund: Fund, *, directors=(), board=()) -> tuple[AuthorityLevel, AuthorityLevel]:
    """The director up to 500 million, the management board without limit."""
    director = AuthorityLevel.objects.create(fund=fund, name="Giám đốc", max_amount=DIRECTOR_LIMIT)
    director.holders.set(directors)
    whole_board = AuthorityLevel.objects.create(fund=fund, name="Hội đồng quản lý", max_amount=None)
    whole_board.holders.set(board)
    return director, whole_board


def product(**fields) -> LoanProduct:
    """Monthly equal principal at 6.6 %/year, 10 million to 1 billion, 6 to 36 months."""
    defaults = {
        "term_min_months": 6,
        "term_max_months": 36,
        "amount_max": Decimal("1000000000"),
        "max_grace_months": 6,
        "collateral_waiver_threshold": Decimal("100000000"),
    }
    return LoanProductFactory(**{**defaults, **fields})


def submitted_loan(
    *,
    officer,
    borrower: Borrower | None = None,
    loan_product: LoanProduct | None = None,
    amount: Decimal = Decimal("300000000"),
    term_months: int = 24,
    shares=(),
) -> Loan:
    terms = ApplicationTerms(
        borrower=borrower or BorrowerFactory(),
        product=loan_product or product(),
        amount=amount,
        term_months=term_months,
        purpose="Mua máy gặt đập liên hợp phục vụ thành viên",
        shares=shares,
    )
    loan = create_application(actor=officer, terms=terms)
    return submit_application(actor=officer, loan=loan)


def appraising_loan(*, appraiser, officer, **application) -> Loan:
    loan = submitted_loan(officer=officer, **application)
    services.start_appraisal(actor=appraiser, loan=loan)
    return Loan.objects.get(pk=loan.pk)


def collateral_terms(**fields) -> CollateralTerms:
    values = {
        "type": Collateral.Type.LAND_USE_RIGHT,
        "description": "Quyền sử dụng đất thửa số 125, tờ bản đồ số 7, 450 m²",
        "owner": "Hợp tác xã",
        "valuation": Decimal("600000000"),
        "valued_on": dt.date(2026, 2, 20),
        "loan_to_value": Decimal("0.7"),
        "provisioning_value": Decimal("420000000"),
    }
    values.update(fields)
    return CollateralTerms(**values)


def rate_everything(*, appraiser, loan: Loan, rating: int | None = None) -> None:
    top = appraisal_rules().rating_scale
    ratings = [
        RatingInput(criterion=criterion, rating=top if rating is None else rating)
        for criterion in ScoringCriterion.objects.filter(active=True)
    ]
    services.save_ratings(actor=appraiser, loan=loan, ratings=ratings)


def fill_appraisal(
    *,
    appraiser,
    loan: Loan,
    recommend: str = "approve",
    amount: Decimal | None = None,
    term_months: int | None = None,
    yearly_net: Decimal = Decimal("400000000"),
) -> Loan:
    """Every section done: dossier, one year of statements, cash flow for each loan year,
    collateral worth the loan, site visit, top ratings, and the recommendation."""
    term = term_months or loan.term_months
    services.save_dossier_review(actor=appraiser, loan=loan, notes="Hồ sơ đầy đủ.")
    services.save_financial_statements(
        actor=appraiser,
        loan=loan,
        statements=[statement_figures(2025)],
    )
    services.save_cash_flow(
        actor=appraiser,
        loan=loan,
        years=[
            CashFlowFigures(year=year, inflow=yearly_net + Decimal("100000000"), outflow=Decimal("100000000"))
            for year in range(1, (term + 11) // 12 + 1)
        ],
    )
    services.add_collateral(actor=appraiser, loan=loan, item=collateral_terms())
    services.record_site_visit(
        actor=appraiser,
        loan=loan,
        visited_on=dt.date(2026, 3, 1),
        participants="Giám đốc HTX",
        notes="Cơ sở sản xuất hoạt động ổn định.",
    )
    rate_everything(appraiser=appraiser, loan=loan)
    if recommend == "approve":
        recommendation = RecommendationInput(
            decision="approve",
            amount=amount or loan.amount.amount,
            term_months=term,
            annual_rate=loan.product.annual_rate,
            conditions="Mua bảo hiểm tài sản bảo đảm.",
        )
    else:
        recommendation = RecommendationInput(decision="reject", rejection_reasons="Phương án không khả thi.")
    services.save_recommendation(actor=appraiser, loan=loan, recommendation=recommendation)
    return Loan.objects.get(pk=loan.pk)


def statement_figures(year: int, **fields) -> StatementFigures:
    values = {
        "year": year,
        "revenue": Decimal("2000000000"),
        "costs": Decimal("1800000000"),
        "profit": Decimal("150000000"),
        "total_assets": Decimal("1000000000"),
        "current_assets": Decimal("400000000"),
        "total_liabilities": Decimal("600000000"),
        "current_liabilities": Decimal("250000000"),
        "equity": Decimal("400000000"),
    }
    values.update(fields)
    return StatementFigures(**values)


def appraised_loan(*, appraiser, officer, recommend: str = "approve", **application) -> Loan:
    loan = appraising_loan(appraiser=appraiser, officer=officer, **application)
    fill_appraisal(appraiser=appraiser, loan=loan, recommend=recommend)
    return services.complete_appraisal(actor=appraiser, loan=Loan.objects.get(pk=loan.pk))
