"""An application's appraisal: its figures, its score and the appraiser's recommendation."""

from appraisal.models.appraisal import Appraisal, CashFlowYear, CriterionRating, FinancialStatement
from appraisal.models.rules import AppraisalRules, ScoringCriterion

__all__ = [
    "Appraisal",
    "AppraisalRules",
    "CashFlowYear",
    "CriterionRating",
    "FinancialStatement",
    "ScoringCriterion",
]
