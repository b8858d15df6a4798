"""Reads of appraisals that pages, reports and services share."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils.translation import gettext_lazy as _

from appraisal.analysis import (
    CoverageYear,
    Rated,
    Ratios,
    coverage_by_year,
    debt_service_by_year,
    lowest_coverage,
    ratio,
    statement_ratios,
    weighted_score,
)
from appraisal.models import Appraisal, AppraisalRules, CriterionRating, FinancialStatement, ScoringCriterion
from appraisal.models.appraisal import STATEMENT_AMOUNTS, Recommendation
from appraisal.proposal import LendingTerms, schedule_terms
from common.money import ZERO
from fund.models import AuthorityLevel
from fund.selectors import Authority, authority
from loans.domain.schedule import Installment, ScheduleError, ScheduleTerms, build_schedule
from loans.models import Collateral, Loan, LoanStatus
from loans.selectors.access import loans_visible_to
from loans.selectors.origination import DossierLine, dossier_checklist


def appraisal_rules() -> AppraisalRules:
    """The fund's appraisal settings (the defaults if the row was removed)."""
    return AppraisalRules.objects.first() or AppraisalRules()


def active_criteria() -> QuerySet[ScoringCriterion]:
    return ScoringCriterion.objects.filter(active=True)


# --- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    waiting: QuerySet[Loan]  # submitted, for any appraiser to take
    mine: QuerySet[Loan]  # being appraised by this user
    others: QuerySet[Loan]  # being appraised by someone else


def appraisal_queue(user) -> Queue:
    loans = loans_visible_to(user)
    appraising = loans.filter(status=LoanStatus.APPRAISING).select_related("appraisal__appraiser")
    return Queue(
        waiting=loans.filter(status=LoanStatus.SUBMITTED).order_by("submitted_on", "pk"),
        mine=appraising.filter(appraisal__appraiser=user).order_by("appraisal__started_at", "pk"),
        others=appraising.exclude(appraisal__appraiser=user).order_by("appraisal__started_at", "pk"),
    )


def queue_counts(user) -> dict[str, int]:
    """How many applications wait for an appraiser, and how many this user is appraising."""
    queue = appraisal_queue(user)
    return {"waiting": queue.waiting.count(), "mine": queue.mine.count()}


def decision_amount(appraisal: Appraisal) -> Decimal:
    """The amount a decision is about: the one recommended for approval, else the one requested.

    It decides whose authority a decision needs (approving another amount checks that amount).
    """
    if appraisal.recommends_approval and appraisal.recommended_amount is not None:
        return appraisal.recommended_amount.amount
    return appraisal.loan.amount.amount


@dataclass(frozen=True)
class Decision:
    """An application waiting for a decision (or an approval that may be undone), as one user sees it."""

    loan: Loan
    appraisal: Appraisal
    amount: Decimal
    level: AuthorityLevel | None
    covered: bool  # the user's authority covers the amount
    own_appraisal: bool  # four eyes: the user appraised it and may not decide it
    score: Decimal | None

    @property
    def can_decide(self) -> bool:
        return self.covered and not self.own_appraisal


# The decisions waiting for a user, by its authority (the decisions page's filter, the home
# page's counts): those it may take, and those beyond its authority. (Those it appraised itself
# are in neither: someone else decides them.)
AUTHORITY_FILTERS = ("within", "beyond")


def decision_for(user, loan: Loan, *, held: Authority | None = None) -> Decision:
    """The decision on this appraised (or approved) loan, as this user may take it."""
    held = held or authority(user)
    appraisal = loan.appraisal
    approved = loan.status == LoanStatus.APPROVED
    amount = loan.approved_amount.amount if approved else decision_amount(appraisal)
    return Decision(
        loan=loan,
        appraisal=appraisal,
        amount=amount,
        level=held.level_needed(amount),
        covered=held.covers(amount),
        own_appraisal=appraisal.appraiser_id == user.pk,
        score=score_of(appraisal.ratings.all()),
    )


def decision_loans(user, *, status: str = LoanStatus.APPRAISED, shown: str = "") -> QuerySet[Loan]:
    """Appraised applications (or approved ones, for undoing), oldest first; `shown` one of
    `AUTHORITY_FILTERS` keeps those. The amount and the authority are `decision_for`'s, in SQL,
    so a page of them is read from the database."""
    loans = (
        loans_visible_to(user)
        .filter(status=status, appraisal__isnull=False)
        .select_related("appraisal__appraiser")
        .prefetch_related("appraisal__ratings")
        .order_by("pk")
    )
    if shown not in AUTHORITY_FILTERS:
        return loans
    return loans.alias(decided_amount=_decided_amount(status)).filter(_authority_filters(user)[shown])


def _authority_filters(user) -> dict[str, Q]:
    """`AUTHORITY_FILTERS` as conditions on `decided_amount`, for the levels the user holds."""
    held = authority(user)
    limits = [level.max_amount for level in held.levels if level.pk in held.held]
    if None in limits:  # an unlimited level covers every amount
        return {"within": ~Q(appraisal__appraiser=user), "beyond": Q(pk__in=[])}
    covered = Q(decided_amount__lte=max(limit.amount for limit in limits)) if limits else Q(pk__in=[])
    return {"within": covered & ~Q(appraisal__appraiser=user), "beyond": ~covered}


def _decided_amount(status: str):
    """`decision_for`'s amount: the one approved; or the one recommended for approval, else
    the one asked for."""
    if status == LoanStatus.APPROVED:
        return F("approved_amount")
    recommended = Q(
        appraisal__recommendation=Recommendation.APPROVE, appraisal__recommended_amount__isnull=False
    )
    return Case(When(recommended, then=F("appraisal__recommended_amount")), default=F("amount"))


def decisions_of(user, loans) -> list[Decision]:
    """The loans of `decision_loans` (a page of them), each marked for this user's authority."""
    held = authority(user)
    return [decision_for(user, loan, held=held) for loan in loans]


def decision_counts(user) -> dict[str, int]:
    """How many appraised applications wait for a decision within and beyond the user's authority."""
    shown = _authority_filters(user)
    waiting = decision_loans(user).alias(decided_amount=_decided_amount(LoanStatus.APPRAISED))
    return waiting.aggregate(**{name: Count("pk", filter=shown[name]) for name in AUTHORITY_FILTERS})


# --- one appraisal's figures ---------------------------------------------------------------


def score_of(ratings) -> Decimal | None:
    return weighted_score(Rated(r.rating, r.scale, r.weight) for r in ratings)


def proposal_terms(appraisal: Appraisal) -> ScheduleTerms | None:
    """The schedule terms of the recommended loan, or None while there is no approval proposal."""
    if not appraisal.recommends_approval or appraisal.proposal_starts_on is None:
        return None
    terms = LendingTerms(
        amount=appraisal.recommended_amount.amount,
        term_months=appraisal.recommended_term_months,
        annual_rate=appraisal.recommended_rate,
        grace_months=appraisal.recommended_grace_months,
    )
    try:
        return schedule_terms(appraisal.loan.product, terms, start=appraisal.proposal_starts_on)
    except ScheduleError:  # the recommendation service refuses such terms; nothing to show
        return None


@dataclass(frozen=True)
class StatementLine:
    statement: FinancialStatement
    ratios: Ratios


@dataclass(frozen=True)
class ScoreLine:
    criterion: ScoringCriterion
    rating: CriterionRating | None

    @property
    def points(self) -> Decimal | None:
        if self.rating is None:
            return None
        return Rated(self.rating.rating, self.rating.scale, self.rating.weight).points


@dataclass
class Figures:
    """Everything the appraisal page, its report and its export show."""

    appraisal: Appraisal
    loan: Loan
    rules: AppraisalRules
    dossier: list[DossierLine]
    statements: list[StatementLine]
    schedule: list[Installment]
    coverage: list[CoverageYear]
    collateral: list[Collateral]
    score_lines: list[ScoreLine]
    score: Decimal | None
    amount: Decimal  # the amount under decision

    @property
    def missing_documents(self) -> list:
        return [line.document_type for line in self.dossier if not line.received]

    @property
    def lowest_coverage(self) -> Decimal | None:
        return lowest_coverage(self.coverage)

    @property
    def weak_years(self) -> list[CoverageYear]:
        """Loan years with repayments whose plan is missing or covers them less than the fund asks."""
        return [
            year
            for year in self.coverage
            if year.debt_service is not None
            and (year.coverage is None or year.coverage < self.rules.min_debt_service_coverage)
        ]

    @property
    def collateral_valuation(self) -> Decimal:
        return sum((item.valuation.amount for item in self.collateral), ZERO)

    @property
    def collateral_lending_value(self) -> Decimal:
        return sum((item.lending_value for item in self.collateral), ZERO)

    @property
    def collateral_provisioning_value(self) -> Decimal:
        return sum((item.provisioning_value.amount for item in self.collateral), ZERO)

    @property
    def collateral_coverage(self) -> Decimal | None:
        """What the collateral lets the fund lend, as a share of the amount under decision."""
        return ratio(self.collateral_lending_value, self.amount)

    @property
    def collateral_needed(self) -> bool:
        return self.amount > self.loan.product.collateral_waiver_threshold.amount

    @property
    def statement_rows(self) -> list[tuple[str, str, list]]:
        """The statements as read side by side: (label, kind, a value per year) for each line."""
        statements = [line.statement for line in self.statements]
        rows = [
            (
                FinancialStatement._meta.get_field(name).verbose_name,
                "money",
                [getattr(s, name) for s in statements],
            )
            for name in STATEMENT_AMOUNTS
        ]
        ratios = [line.ratios for line in self.statements]
        return [
            *rows,
            (_("Debt / equity"), "ratio", [r.debt_to_equity for r in ratios]),
            (_("Current ratio"), "ratio", [r.current_ratio for r in ratios]),
            (_("Return on assets"), "percent", [r.return_on_assets for r in ratios]),
        ]

    @property
    def schedule_principal(self) -> Decimal:
        return sum((row.principal for row in self.schedule), ZERO)

    @property
    def schedule_interest(self) -> Decimal:
        return sum((row.interest for row in self.schedule), ZERO)


def _ratios(statement: FinancialStatement) -> Ratios:
    return statement_ratios(
        profit=statement.profit.amount,
        total_assets=statement.total_assets.amount,
        current_assets=statement.current_assets.amount,
        total_liabilities=statement.total_liabilities.amount,
        current_liabilities=statement.current_liabilities.amount,
        equity=statement.equity.amount,
    )


def appraisal_figures(appraisal: Appraisal) -> Figures:
    loan = appraisal.loan
    statements = [StatementLine(statement, _ratios(statement)) for statement in appraisal.statements.all()]
    terms = proposal_terms(appraisal)
    schedule = build_schedule(terms) if terms else []
    debt_service = debt_service_by_year(schedule, start=terms.start_date) if terms else {}
    cash_flow = [(row.year, row.inflow.amount, row.outflow.amount) for row in appraisal.cash_flow.all()]
    ratings = {r.criterion_id: r for r in appraisal.ratings.select_related("criterion")}
    criteria = {c.pk: c for c in active_criteria()}
    criteria.update({r.criterion_id: r.criterion for r in ratings.values()})
    score_lines = [
        ScoreLine(criterion, ratings.get(criterion.pk))
        for criterion in sorted(criteria.values(), key=lambda c: (c.position, c.code))
    ]
    return Figures(
        appraisal=appraisal,
        loan=loan,
        rules=appraisal_rules(),
        dossier=dossier_checklist(loan),
        statements=statements,
        schedule=schedule,
        coverage=coverage_by_year(cash_flow, debt_service),
        collateral=list(loan.collateral.all()),
        score_lines=score_lines,
        score=score_of(ratings.values()),
        amount=decision_amount(appraisal),
    )
