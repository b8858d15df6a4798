"""Loan products: every lending rule a fund sets for a kind of loan, as data.

A product row is frozen once a loan uses it; from then on it never changes, so a loan's
terms are those of the exact row it points at. Editing a frozen product makes a new version
(same code, version + 1) and marks the old row superseded (see `fund.services.products`).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from common.fields import one_of
from common.money import amount_of, format_percent
from common.text import long_text
from fund.models.accounts import account_problem
from fund.models.borrowers import Borrower
from fund.models.cleaning import CleanInputMixin
from fund.models.documents import DocumentType
from fund.models.fields import ledger_account, vnd_field, vnd_only

# Limits set by law, not by the fund (a fund's own figures are the fields below).
# Civil Code 2015 art. 468(1): a contractual rate at most 20 %/year.
MAX_ANNUAL_RATE = Decimal("0.20")
# Civil Code 2015 art. 466(4)-(5): interest on overdue principal at most 150 % of the rate;
# interest on unpaid interest at most half the art. 468 cap, i.e. 10 %/year.
MAX_OVERDUE_MULTIPLIER = Decimal("1.5")
MAX_UNPAID_INTEREST_RATE = Decimal("0.10")
# Loan terms as Vietnamese accounting classes them: short up to 12 months, medium up to 5 years.
SHORT_TERM_MAX_MONTHS = 12
MEDIUM_TERM_MAX_MONTHS = 60

RATE = {"max_digits": 7, "decimal_places": 6}  # 0.066000 = 6.6 %
FRACTION = {"max_digits": 7, "decimal_places": 4}  # 1.5000 = 150 %, 0.0075 = 0.75 %


class Frequency(models.IntegerChoices):
    """How often a part falls due, in months; 0 means once, at maturity."""

    AT_MATURITY = 0, _("At maturity")
    MONTHLY = 1, _("Monthly")
    QUARTERLY = 3, _("Quarterly")
    HALF_YEARLY = 6, _("Half-yearly")


class Amortization(models.TextChoices):
    EQUAL_PRINCIPAL = "equal_principal", _("Equal principal")
    ANNUITY = "annuity", _("Equal installments")
    BULLET = "bullet", _("Principal at maturity (bullet)")


class DayCount(models.TextChoices):
    ACTUAL_365 = "actual_365", _("Actual/365")
    ACTUAL_ACTUAL = "actual_actual", _("Actual/actual")


class Portion(models.TextChoices):
    """The parts of what a borrower owes; a repayment pays them in the product's order."""

    LATE_INTEREST = "late_interest", _("Late interest on overdue principal")
    OVERDUE_INTEREST = "overdue_interest", _("Overdue interest")
    OVERDUE_PRINCIPAL = "overdue_principal", _("Overdue principal")
    DUE_INTEREST = "due_interest", _("Interest due")
    DUE_PRINCIPAL = "due_principal", _("Principal due")


def default_allocation_order() -> list[str]:
    return list(Portion.values)


def default_borrower_types() -> list[str]:
    return [Borrower.Type.COOPERATIVE]


class TermClass(models.TextChoices):
    SHORT = "short", _("Short term (up to 12 months)")
    MEDIUM = "medium", _("Medium term (13 to 60 months)")
    LONG = "long", _("Long term (over 60 months)")


def term_class_of(months: int) -> str:
    if months <= SHORT_TERM_MAX_MONTHS:
        return TermClass.SHORT
    if months <= MEDIUM_TERM_MAX_MONTHS:
        return TermClass.MEDIUM
    return TermClass.LONG


# The provision rate of each debt group, then the general provision on the whole portfolio.
PROVISION_RATE_FIELDS = (*(f"provision_rate_group{group}" for group in range(1, 6)), "general_provision_rate")

# Each posting kind's account field, the account type it must have and its default code in the
# fund's chart (by term class for the loan accounts).
POSTING_ACCOUNTS: dict[str, tuple[str, str | dict[str, str]]] = {
    "principal_account": ("asset", {"short": "128311", "medium": "128321", "long": "128331"}),
    "overdue_principal_account": ("asset", {"short": "128312", "medium": "128322", "long": "128332"}),
    "interest_receivable_account": ("asset", "13881"),
    "late_interest_receivable_account": ("asset", "13882"),
    "interest_income_account": ("income", "5151"),
    "late_interest_income_account": ("income", "5152"),
    "interest_reversal_account": ("expense", "6428"),
    "suspended_interest_account": ("off_balance", "0043"),
    "specific_provision_account": ("asset", "22931"),
    "general_provision_account": ("asset", "22932"),
    "provision_expense_account": ("expense", "6426"),
    "written_off_principal_account": ("off_balance", "0041"),
    "written_off_interest_account": ("off_balance", "0042"),
    "off_balance_contra_account": ("off_balance", "009"),
    "recoveries_income_account": ("income", "7111"),
}


def default_account_code(field: str, term_class: str) -> str:
    code = POSTING_ACCOUNTS[field][1]
    return code[term_class] if isinstance(code, dict) else code


class ProductStatus(models.TextChoices):
    ACTIVE = "active", _("Offered")
    RETIRED = "retired", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded by a newer version")


class LoanProduct(CleanInputMixin, FSMModelMixin, models.Model):
    Status = ProductStatus

    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    name = models.CharField(_("name"), max_length=200)
    purpose = long_text(_("purpose"))
    borrower_types = models.JSONField(_("borrower types allowed"), default=default_borrower_types)
    status = FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, protected=True
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True, editable=False)

    amount_min = vnd_field(_("minimum amount"))
    amount_max = vnd_field(_("maximum amount"))
    term_min_months = models.PositiveSmallIntegerField(_("minimum term (months)"))
    term_max_months = models.PositiveSmallIntegerField(_("maximum term (months)"))
    annual_rate = models.DecimalField(_("interest rate per year"), **RATE)
    day_count = models.CharField(
        _("day-count basis"), max_length=16, choices=DayCount.choices, default=DayCount.ACTUAL_365
    )
    overdue_multiplier = models.DecimalField(
        _("overdue interest, times the rate"), default=Decimal("1.5"), **FRACTION
    )
    unpaid_interest_rate = models.DecimalField(
        _("rate on unpaid interest per year"), default=Decimal("0.10"), **RATE
    )
    principal_frequency = models.PositiveSmallIntegerField(
        _("principal repaid"), choices=Frequency.choices, default=Frequency.MONTHLY
    )
    interest_frequency = models.PositiveSmallIntegerField(
        _("interest paid"), choices=Frequency.choices, default=Frequency.MONTHLY
    )
    amortization = models.CharField(
        _("amortization"), max_length=20, choices=Amortization.choices, default=Amortization.EQUAL_PRINCIPAL
    )
    max_grace_months = models.PositiveSmallIntegerField(_("longest principal grace (months)"), default=0)
    collateral_waiver_threshold = vnd_field(
        _("no collateral needed up to"), default=Decimal(0), help_text=_("0: every loan needs collateral.")
    )
    allocation_order = models.JSONField(_("repayment allocation order"), default=default_allocation_order)
    interest_to_moved_date = models.BooleanField(
        _("interest runs to a moved due date"),
        default=False,
        help_text=_(
            "A due date on a day off moves to the next working day. Ticked: the period's interest "
            "runs to that day. Not ticked: it runs to the original date, and the next period starts there."
        ),
    )

    overdue_grace_days = models.PositiveSmallIntegerField(
        _("days before unpaid principal is overdue"),
        default=0,
        help_text=_("Unpaid principal moves to the overdue account this many days after its due date."),
    )
    # How far an extension (gia hạn nợ) may take the loan beyond its maturity.
    extension_short_months = models.PositiveSmallIntegerField(
        _("longest extension of a short-term loan (months)"), default=12
    )
    extension_term_share = models.DecimalField(
        _("longest extension of a medium or long-term loan, as a share of its term"),
        default=Decimal("0.5"),
        **FRACTION,
    )
    # Debt groups by days past due: group 1 below group2_from_days, ..., group 5 from group5_from_days.
    group2_from_days = models.PositiveSmallIntegerField(_("group 2 from (days past due)"), default=10)
    group3_from_days = models.PositiveSmallIntegerField(_("group 3 from (days past due)"), default=91)
    group4_from_days = models.PositiveSmallIntegerField(_("group 4 from (days past due)"), default=181)
    group5_from_days = models.PositiveSmallIntegerField(_("group 5 from (days past due)"), default=361)
    provision_rate_group1 = models.DecimalField(
        _("specific provision, group 1"), default=Decimal(0), **FRACTION
    )
    provision_rate_group2 = models.DecimalField(
        _("specific provision, group 2"), default=Decimal("0.05"), **FRACTION
    )
    provision_rate_group3 = models.DecimalField(
        _("specific provision, group 3"), default=Decimal("0.20"), **FRACTION
    )
    provision_rate_group4 = models.DecimalField(
        _("specific provision, group 4"), default=Decimal("0.50"), **FRACTION
    )
    provision_rate_group5 = models.DecimalField(
        _("specific provision, group 5"), default=Decimal(1), **FRACTION
    )
    general_provision_rate = models.DecimalField(
        _("general provision (groups 1-4)"), default=Decimal("0.0075"), **FRACTION
    )
    required_documents = models.ManyToManyField(
        DocumentType, verbose_name=_("documents the dossier requires"), blank=True, related_name="products"
    )

    principal_account = ledger_account(_("loan principal, in term"))
    overdue_principal_account = ledger_account(_("loan principal, overdue"))
    interest_receivable_account = ledger_account(_("interest receivable"))
    late_interest_receivable_account = ledger_account(_("late interest receivable"))
    interest_income_account = ledger_account(_("interest income"))
    late_interest_income_account = ledger_account(_("late interest income"))
    interest_reversal_account = ledger_account(_("accrued interest of earlier years reversed"))
    suspended_interest_account = ledger_account(_("suspended interest (off-balance)"))
    specific_provision_account = ledger_account(_("specific provision"))
    general_provision_account = ledger_account(_("general provision"))
    provision_expense_account = ledger_account(_("provision expense"))
    written_off_principal_account = ledger_account(_("written-off principal (off-balance)"))
    written_off_interest_account = ledger_account(_("written-off interest (off-balance)"))
    off_balance_contra_account = ledger_account(_("off-balance contra"))
    recoveries_income_account = ledger_account(_("recoveries income"))

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"],
                name="fund_product_code_version_unique",
                violation_error_message=_("This version of the product already exists."),
            ),
            # Versions replace each other: only one row per code is not superseded.
            models.UniqueConstraint(
                fields=["code"],
                condition=~models.Q(status=ProductStatus.SUPERSEDED),
                name="fund_product_one_current_version",
                violation_error_message=_("A product with this code already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(amount_min__gt=0) & models.Q(amount_min__lte=models.F("amount_max")),
                name="fund_product_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(term_min_months__gte=1)
                & models.Q(term_min_months__lte=models.F("term_max_months")),
                name="fund_product_term_range",
            ),
            models.CheckConstraint(
                condition=models.Q(group2_from_days__gte=1)
                & models.Q(group3_from_days__gt=models.F("group2_from_days"))
                & models.Q(group4_from_days__gt=models.F("group3_from_days"))
                & models.Q(group5_from_days__gt=models.F("group4_from_days")),
                name="fund_product_bands_increasing",
            ),
            one_of("fund_product", "status", ProductStatus.values),
            *vnd_only("fund_product", "amount_min", "amount_max", "collateral_waiver_threshold"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} · {self.name}"

    # --- reading the rules -------------------------------------------------------------

    @property
    def monthly_rate(self) -> Decimal:
        """The annual rate shown per month (display; interest is computed per day)."""
        return self.annual_rate / 12

    @property
    def overdue_rate(self) -> Decimal:
        return self.annual_rate * self.overdue_multiplier

    @property
    def term_class(self) -> str:
        return term_class_of(self.term_max_months)

    @property
    def term_class_label(self) -> str:
        return TermClass(self.term_class).label

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def is_offered(self) -> bool:
        """Whether new applications may use this row."""
        return self.status == self.Status.ACTIVE

    def allows(self, borrower_type: str) -> bool:
        return borrower_type in self.borrower_types

    def get_borrower_types_display(self) -> list[str]:
        labels = dict(Borrower.Type.choices)
        return [str(labels.get(value, value)) for value in self.borrower_types]

    def get_allocation_order_display(self) -> list[str]:
        labels = dict(Portion.choices)
        return [str(labels.get(value, value)) for value in self.allocation_order]

    @property
    def group_starts(self) -> tuple[int, int, int, int]:
        """The first day past due of groups 2, 3, 4 and 5."""
        return (self.group2_from_days, self.group3_from_days, self.group4_from_days, self.group5_from_days)

    @property
    def debt_group_bands(self) -> list[tuple[int, int, int | None]]:
        """(group, first day past due, last day or None) for groups 1 to 5."""
        starts = [0, *self.group_starts]
        ends = [start - 1 for start in starts[1:]] + [None]
        return [(group, start, end) for group, (start, end) in enumerate(zip(starts, ends, strict=True), 1)]

    def debt_group_for(self, days_past_due: int) -> int:
        group = 1
        for candidate, start, _end in self.debt_group_bands:
            if days_past_due >= start:
                group = candidate
        return group

    def provision_rate(self, group: int) -> Decimal:
        return getattr(self, f"provision_rate_group{group}")

    @property
    def provision_rates(self) -> dict[int, Decimal]:
        return {group: self.provision_rate(group) for group in range(1, 6)}

    def accounts(self) -> dict[str, object]:
        """The account of each posting kind (field name -> ledger Account)."""
        return {field: getattr(self, field) for field in POSTING_ACCOUNTS}

    # --- validation --------------------------------------------------------------------

    def clean(self) -> None:
        errors: dict[str, list] = {}

        def refuse(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        self._clean_amounts_and_terms(refuse)
        self._clean_rates(refuse)
        self._clean_schedule(refuse)
        self._clean_classification(refuse)
        self._clean_accounts(refuse)
        if errors:
            raise ValidationError(errors)

    def _clean_amounts_and_terms(self, refuse) -> None:
        amount_min, amount_max = amount_of(self.amount_min), amount_of(self.amount_max)
        if amount_min is not None and amount_min <= 0:
            refuse("amount_min", _("The minimum amount must be more than 0."))
        if amount_min is not None and amount_max is not None and amount_min > amount_max:
            refuse("amount_max", _("The maximum amount must not be less than the minimum."))
        waiver = amount_of(self.collateral_waiver_threshold)
        if waiver is not None and waiver < 0:
            refuse("collateral_waiver_threshold", _("The threshold cannot be negative."))
        if self.term_min_months is not None and self.term_min_months < 1:
            refuse("term_min_months", _("The minimum term is at least 1 month."))
        if self.term_min_months is not None and self.term_max_months is not None:
            if self.term_min_months > self.term_max_months:
                refuse("term_max_months", _("The maximum term must not be less than the minimum."))
            elif term_class_of(self.term_min_months) != term_class_of(self.term_max_months):
                refuse(
                    "term_max_months",
                    _(
                        "The terms must stay within one class (short: up to 12 months; medium: 13 to 60; "
                        "long: over 60) so that the product's loans post to one set of loan accounts."
                    ),
                )
        if (
            self.max_grace_months is not None
            and self.term_max_months is not None
            and self.max_grace_months >= self.term_max_months
        ):
            refuse("max_grace_months", _("The grace period must be shorter than the maximum term."))
        types = self.borrower_types
        if not isinstance(types, list) or not types:
            refuse("borrower_types", _("Choose at least one type of borrower."))
        elif len(set(types)) != len(types) or not set(types) <= set(Borrower.Type.values):
            refuse("borrower_types", _("Choose types of borrower from the list, each once."))

    def _clean_rates(self, refuse) -> None:
        def within(field, low, high, message):
            value = getattr(self, field)
            if value is not None and not low <= value <= high:
                refuse(field, message)

        within(
            "annual_rate",
            Decimal(0),
            MAX_ANNUAL_RATE,
            _("The rate must be between 0 and %(max)s a year.") % {"max": format_percent(MAX_ANNUAL_RATE, 0)},
        )
        within(
            "overdue_multiplier",
            Decimal(1),
            MAX_OVERDUE_MULTIPLIER,
            _("Overdue interest must be between %(min)s and %(max)s of the rate.")
            % {"min": format_percent(Decimal(1), 0), "max": format_percent(MAX_OVERDUE_MULTIPLIER, 0)},
        )
        within(
            "unpaid_interest_rate",
            Decimal(0),
            MAX_UNPAID_INTEREST_RATE,
            _("The rate on unpaid interest must be between 0 and %(max)s a year.")
            % {"max": format_percent(MAX_UNPAID_INTEREST_RATE, 0)},
        )

    def _clean_schedule(self, refuse) -> None:
        principal, interest = self.principal_frequency, self.interest_frequency
        at_maturity = principal == Frequency.AT_MATURITY
        if self.amortization == Amortization.BULLET and not at_maturity:
            refuse("principal_frequency", _("A bullet loan repays its principal at maturity."))
        if self.amortization != Amortization.BULLET and at_maturity:
            refuse("amortization", _("Principal repaid at maturity is a bullet loan; choose that method."))
        if self.amortization == Amortization.ANNUITY and principal != interest:
            refuse("interest_frequency", _("Equal installments pay interest and principal together."))
        order = self.allocation_order
        if not isinstance(order, list) or sorted(order) != sorted(Portion.values):
            refuse(
                "allocation_order",
                _("List each of these exactly once: %(portions)s.") % {"portions": ", ".join(Portion.values)},
            )

    def _clean_classification(self, refuse) -> None:
        starts = [self.group2_from_days, self.group3_from_days, self.group4_from_days, self.group5_from_days]
        if None not in starts:
            if starts[0] < 1:
                refuse("group2_from_days", _("Group 2 starts at 1 day past due or later."))
            for group, (previous, current) in enumerate(zip(starts, starts[1:], strict=False), start=3):
                if current <= previous:
                    refuse(
                        f"group{group}_from_days",
                        _("Group %(group)s must start after group %(previous)s.")
                        % {"group": group, "previous": group - 1},
                    )
        grace = self.overdue_grace_days
        if grace is not None and starts[0] is not None and grace >= starts[0]:
            refuse(
                "overdue_grace_days", _("The days before principal is overdue must be fewer than group 2's.")
            )
        rates = self.provision_rates
        for group, rate in rates.items():
            if rate is not None and not Decimal(0) <= rate <= Decimal(1):
                refuse(f"provision_rate_group{group}", _("A provision rate is a percentage from 0 to 100."))
        for group in range(2, 6):
            previous, current = rates[group - 1], rates[group]
            if previous is not None and current is not None and current < previous:
                refuse(
                    f"provision_rate_group{group}",
                    _("A worse group cannot need less provision than group %(previous)s.")
                    % {"previous": group - 1},
                )
        general = self.general_provision_rate
        if general is not None and not Decimal(0) <= general <= Decimal(1):
            refuse("general_provision_rate", _("A provision rate is a percentage from 0 to 100."))

    def _clean_accounts(self, refuse) -> None:
        for field, (expected_type, _code) in POSTING_ACCOUNTS.items():
            account = getattr(self, field, None) if getattr(self, f"{field}_id") else None
            if account is not None:
                problem = account_problem(account, expected_type=expected_type)
                if problem:
                    refuse(field, problem)

    # --- lifecycle (the service decides when; these only move the row) --------------------

    @transition(field=status, source=Status.ACTIVE, target=Status.RETIRED)
    def retire(self) -> None:
        """No new applications on this product; loans already made keep it."""

    @transition(field=status, source=Status.RETIRED, target=Status.ACTIVE)
    def reinstate(self) -> None:
        pass

    @transition(field=status, source=[Status.ACTIVE, Status.RETIRED], target=Status.SUPERSEDED)
    def supersede(self) -> None:
        """A newer version replaces this frozen one for new applications."""
