"""The appraiser's work: take an application, record each section, complete the appraisal.

Only the appraiser who took an application changes its appraisal, and only while it is being
appraised. Rows of figures are checked one by one; an error about row `n` (0-based, in the
order given) on field `f` is reported under the key `"n.f"`, so a page can put it on its cell.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Manager, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import Appraisal, CashFlowYear, CriterionRating, FinancialStatement, ScoringCriterion
from appraisal.models.appraisal import STATEMENT_AMOUNTS, Recommendation
from appraisal.proposal import LendingTerms
from appraisal.selectors import Figures, appraisal_figures, appraisal_rules
from appraisal.services.common import appraisal_to_edit, locked, seen_status
from appraisal.services.terms import collateral_error, terms_errors
from common.money import MAX_AMOUNT, is_whole_dong
from fund.selectors import business_date
from fund.services.common import require_permission
from loans.models import Loan
from loans.services.transitions import apply_transition, check_transition


def start_appraisal(*, actor, loan: Loan, expected_status: str | None = None, note: str = "") -> Appraisal:
    """Take a submitted application into appraisal; the actor becomes its appraiser."""
    require_permission(actor, "loans.appraise_loan")
    with transaction.atomic():
        row = apply_transition(
            locked(loan),
            "start_appraisal",
            actor=actor,
            note=note.strip(),
            expected_status=seen_status(loan, expected_status),
        )
        return Appraisal.objects.create(loan=row, appraiser=actor)


def save_dossier_review(*, actor, loan: Loan, notes: str) -> Appraisal:
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        appraisal.dossier_notes = notes.strip()
        appraisal.save(update_fields=["dossier_notes", "updated_at"])
    return appraisal


def record_site_visit(
    *, actor, loan: Loan, visited_on: date | None, participants: str, notes: str
) -> Appraisal:
    errors = {}
    if visited_on is None:
        errors["visited_on"] = _("Give the date of the visit.")
    elif visited_on > timezone.localdate():
        errors["visited_on"] = _("The visit cannot be in the future.")
    if not notes.strip():
        errors["notes"] = _("Write what the visit found.")
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        if errors:
            raise ValidationError(errors)
        appraisal.visited_on = visited_on
        appraisal.visit_participants = participants.strip()
        appraisal.visit_notes = notes.strip()
        appraisal.save(update_fields=["visited_on", "visit_participants", "visit_notes", "updated_at"])
    return appraisal


# --- rows of figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class StatementFigures:
    """One year of the borrower's statements, in whole đồng."""

    year: int | None
    revenue: Decimal | None
    costs: Decimal | None
    profit: Decimal | None
    total_assets: Decimal | None
    current_assets: Decimal | None
    total_liabilities: Decimal | None
    current_liabilities: Decimal | None
    equity: Decimal | None


def _row_errors(errors: dict, row: int, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        errors.setdefault(f"{row}.{field}", []).extend(messages)


def _amount_errors(figures, names: Sequence[str]) -> dict[str, list[str]]:
    """Each amount is given and a whole number of đồng."""
    errors: dict[str, list[str]] = {}
    for name in names:
        value = getattr(figures, name)
        if value is None:
            errors[name] = [_("Give this figure (0 if there is none).")]
        elif not value.is_finite() or not is_whole_dong(value):
            errors[name] = [_("Give a whole number of đồng.")]
        elif abs(value) > MAX_AMOUNT:
            errors[name] = [_("This amount is too large.")]
    return errors


def _replace_rows(appraisal: Appraisal, section: Manager, rows: list[Model], errors: dict) -> Appraisal:
    """Replace a section of the appraisal (`appraisal.statements`, ...) with `rows`, all of them
    or none: any error refuses the whole section."""
    if errors:
        raise ValidationError(errors)
    section.all().delete()
    section.model.objects.bulk_create(rows)
    appraisal.save(update_fields=["updated_at"])
    return appraisal


def save_financial_statements(*, actor, loan: Loan, statements: Sequence[StatementFigures]) -> Appraisal:
    """Replace the appraisal's statements with these (up to the fund's number of years)."""
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        limit = appraisal_rules().statement_years
        errors: dict[str, list[str]] = {}
        if len(statements) > limit:
            errors["__all__"] = [_("Give at most %(count)s years of statements.") % {"count": limit}]
        rows = []
        years = [figures.year for figures in statements]
        for row, figures in enumerate(statements):
            row_errors = _amount_errors(figures, STATEMENT_AMOUNTS)
            if figures.year is None or not 1900 <= figures.year <= timezone.localdate().year:
                row_errors["year"] = [_("Give the year of the statement; it cannot be in the future.")]
            elif years.count(figures.year) > 1:
                row_errors["year"] = [_("Each year appears once.")]
            statement = FinancialStatement(
                appraisal=appraisal,
                **{name: getattr(figures, name) for name in ("year", *STATEMENT_AMOUNTS)},
            )
            if row_errors:
                _row_errors(errors, row, ValidationError(row_errors))
            else:
                try:
                    statement.clean()
                except ValidationError as error:
                    _row_errors(errors, row, error)
            rows.append(statement)
        return _replace_rows(appraisal, appraisal.statements, rows, errors)


@dataclass(frozen=True)
class CashFlowFigures:
    """One year of the business plan: what comes in and what goes out before this loan's repayments."""

    year: int | None
    inflow: Decimal | None
    outflow: Decimal | None


def save_cash_flow(*, actor, loan: Loan, years: Sequence[CashFlowFigures]) -> Appraisal:
    """Replace the business plan's cash flow with these years, numbered 1, 2, ... without gaps."""
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        errors: dict[str, list[str]] = {}
        numbers = [figures.year for figures in years]
        for row, figures in enumerate(years):
            row_errors = _amount_errors(figures, ("inflow", "outflow"))
            for name in ("inflow", "outflow"):
                value = getattr(figures, name)
                if name not in row_errors and value < 0:
                    row_errors[name] = [_("This cannot be negative.")]
            if figures.year is None or figures.year < 1:
                row_errors["year"] = [_("Plan years are numbered from 1.")]
            elif numbers.count(figures.year) > 1:
                row_errors["year"] = [_("Each year appears once.")]
            if row_errors:
                _row_errors(errors, row, ValidationError(row_errors))
        if not errors:
            missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
            if missing:
                errors["__all__"] = [
                    _("The plan's years run without gaps; year %(years)s is missing.")
                    % {"years": ", ".join(str(year) for year in missing)}
                ]
        rows = [
            CashFlowYear(appraisal=appraisal, year=f.year, inflow=f.inflow, outflow=f.outflow) for f in years
        ]
        return _replace_rows(appraisal, appraisal.cash_flow, rows, errors)


@dataclass(frozen=True)
class RatingInput:
    """A criterion's rating (None: not rated yet) and the appraiser's note on it."""

    criterion: ScoringCriterion
    rating: int | None
    note: str = ""


NOTE_LENGTH = CriterionRating._meta.get_field("note").max_length


def save_ratings(*, actor, loan: Loan, ratings: Sequence[RatingInput]) -> Appraisal:
    """Replace the appraisal's ratings. Each keeps the criterion's weight and the fund's scale of now."""
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        scale = appraisal_rules().rating_scale
        errors: dict[str, list[str]] = {}
        rows = []
        criteria = [given.criterion.pk for given in ratings]
        for row, given in enumerate(ratings):
            criterion = given.criterion
            if not criterion.active:
                errors[f"{row}.rating"] = [_("This criterion is no longer used.")]
            elif criteria.count(criterion.pk) > 1:
                errors[f"{row}.rating"] = [_("Each criterion is rated once.")]
            elif given.rating is not None and not 0 <= given.rating <= scale:
                errors[f"{row}.rating"] = [_("Rate from 0 to %(scale)s.") % {"scale": scale}]
            elif len(given.note.strip()) > NOTE_LENGTH:
                errors[f"{row}.note"] = [
                    _("Keep the note under %(count)s characters.") % {"count": NOTE_LENGTH}
                ]
            elif given.rating is not None:
                rows.append(
                    CriterionRating(
                        appraisal=appraisal,
                        criterion=criterion,
                        rating=given.rating,
                        scale=scale,
                        weight=criterion.weight,
                        note=given.note.strip(),
                    )
                )
        return _replace_rows(appraisal, appraisal.ratings, rows, errors)


# --- recommendation and completion ---------------------------------------------------------


@dataclass(frozen=True)
class RecommendationInput:
    """Approve with terms and conditions, or reject with reasons; the appraiser's opinion either way."""

    decision: str
    amount: Decimal | None = None
    term_months: int | None = None
    annual_rate: Decimal | None = None
    grace_months: int = 0
    conditions: str = ""
    rejection_reasons: str = ""
    opinion: str = ""

    @property
    def terms(self) -> LendingTerms:
        return LendingTerms(self.amount, self.term_months, self.annual_rate, self.grace_months)


def save_recommendation(*, actor, loan: Loan, recommendation: RecommendationInput) -> Appraisal:
    """Record the recommendation. Approval terms must fit the request and the product, and a
    repayment schedule from today's business date must be possible: it is the proposed one."""
    with transaction.atomic():
        appraisal = appraisal_to_edit(actor=actor, loan=loan)
        start = business_date()
        errors: dict[str, list[str]] = {}
        if recommendation.decision == Recommendation.APPROVE:
            errors = terms_errors(appraisal.loan, recommendation.terms, start=start)
        elif recommendation.decision == Recommendation.REJECT:
            if not recommendation.rejection_reasons.strip():
                errors["rejection_reasons"] = [_("Give the reasons to reject.")]
        else:
            errors["decision"] = [_("Recommend approval or rejection.")]
        if errors:
            raise ValidationError(errors)
        approve = recommendation.decision == Recommendation.APPROVE
        appraisal.recommendation = recommendation.decision
        appraisal.recommended_amount = recommendation.amount if approve else None
        appraisal.recommended_term_months = recommendation.term_months if approve else None
        appraisal.recommended_rate = recommendation.annual_rate if approve else None
        appraisal.recommended_grace_months = recommendation.grace_months if approve else 0
        appraisal.recommended_conditions = recommendation.conditions.strip() if approve else ""
        appraisal.rejection_reasons = "" if approve else recommendation.rejection_reasons.strip()
        appraisal.opinion = recommendation.opinion.strip()
        appraisal.proposal_starts_on = start if approve else None
        appraisal.save()
    return appraisal


def completion_errors(figures: Figures) -> dict[str, list[str]]:
    """What is still missing before the appraisal can be completed, by section."""
    appraisal = figures.appraisal
    errors: dict[str, list[str]] = {}
    if figures.missing_documents:
        errors["dossier"] = [
            _("The dossier lacks: %(documents)s.")
            % {"documents": ", ".join(d.name for d in figures.missing_documents)}
        ]
    if not appraisal.site_visited:
        errors["site_visit"] = [_("Record the site visit.")]
    unrated = [line.criterion.name for line in figures.score_lines if line.rating is None]
    if unrated:
        errors["score"] = [
            _("Rate every criterion; not rated: %(criteria)s.") % {"criteria": ", ".join(unrated)}
        ]
    if appraisal.recommendation == Recommendation.REJECT:
        return errors
    if not appraisal.recommends_approval:
        errors["recommendation"] = [_("Make a recommendation.")]
        return errors
    terms = LendingTerms(
        appraisal.recommended_amount.amount,
        appraisal.recommended_term_months,
        appraisal.recommended_rate,
        appraisal.recommended_grace_months,
    )
    for messages in terms_errors(appraisal.loan, terms, start=appraisal.proposal_starts_on).values():
        errors.setdefault("recommendation", []).extend(messages)
    unplanned = [str(year.year) for year in figures.coverage if year.debt_service and year.net is None]
    if unplanned:
        errors["cash_flow"] = [
            _("Give the business plan's cash flow for every loan year; missing: %(years)s.")
            % {"years": ", ".join(unplanned)}
        ]
    problem = collateral_error(appraisal.loan, figures.amount)
    if problem:
        errors["collateral"] = [problem]
    return errors


def complete_appraisal(*, actor, loan: Loan, expected_status: str | None = None, note: str = "") -> Loan:
    """Mark the application appraised once every section is done; it then waits for a decision."""
    require_permission(actor, "loans.appraise_loan")
    with transaction.atomic():
        row = locked(loan)
        expected = seen_status(loan, expected_status)
        check_transition(row, "complete_appraisal", actor=actor, expected_status=expected)
        appraisal = appraisal_to_edit(actor=actor, loan=row)
        errors = completion_errors(appraisal_figures(appraisal))
        if errors:
            raise ValidationError(errors)
        appraisal.completed_at = timezone.now()
        appraisal.save(update_fields=["completed_at", "updated_at"])
        return apply_transition(
            appraisal.loan, "complete_appraisal", actor=actor, note=note.strip(), expected_status=expected
        )
