"""Every write of the appraisal app. Views, the admin and the demo call these."""

from appraisal.services.appraising import (
    CashFlowFigures,
    RatingInput,
    RecommendationInput,
    StatementFigures,
    complete_appraisal,
    record_site_visit,
    save_cash_flow,
    save_dossier_review,
    save_financial_statements,
    save_ratings,
    save_recommendation,
    start_appraisal,
)
from appraisal.services.collateral import (
    CollateralTerms,
    add_collateral,
    remove_collateral,
    update_collateral,
)
from appraisal.services.decisions import ApprovalTerms, approve_loan, reject_loan, undo_approval

__all__ = [
    "ApprovalTerms",
    "CashFlowFigures",
    "CollateralTerms",
    "RatingInput",
    "RecommendationInput",
    "StatementFigures",
    "add_collateral",
    "approve_loan",
    "complete_appraisal",
    "record_site_visit",
    "reject_loan",
    "remove_collateral",
    "save_cash_flow",
    "save_dossier_review",
    "save_financial_statements",
    "save_ratings",
    "save_recommendation",
    "start_appraisal",
    "undo_approval",
    "update_collateral",
]
