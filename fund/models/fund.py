"""The fund itself: one row per installation, its capital and who may approve how much."""

import uuid
from decimal import Decimal
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.dates import format_date
from common.fields import positive, who_and_when
from common.money import format_percent, round_vnd
from common.text import long_text
from fund.models.accounts import account_problem
from fund.models.cleaning import CleanInputMixin
from fund.models.fields import ledger_account, vnd_field, vnd_only
from fund.models.products import MAX_ANNUAL_RATE

SUNDAY = 6  # date.weekday()
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (SUNDAY, _("Sunday")),
]


def default_rest_weekdays() -> list[int]:
    return [SUNDAY]


def default_aging_buckets() -> list[int]:
    """The first day past due of each arrears aging bucket: 1–9, 10–30, 31–90, 91–180, 181–360, > 360."""
    return [1, 10, 31, 91, 181, 361]


def default_par_days() -> list[int]:
    """Portfolio at risk: the outstanding of loans more than this many days past due (PAR1, 30, 90)."""
    return [1, 30, 90]


def default_overdue_notice_days() -> list[int]:
    """Days past due on which a co-op gets an overdue notice: the day after the due date, then a month on."""
    return [1, 30]


MAX_REPORT_DAYS = 9999  # a bucket or PAR threshold of days past due, at most about 27 years


def days_list_problem(days, *, first: int, most: int) -> str | None:
    """Why `days` is not a list of `most` or fewer ascending whole days from `first` up (None if it is)."""
    if (
        not isinstance(days, list)
        or not 1 <= len(days) <= most
        or not all(isinstance(day, int) and not isinstance(day, bool) for day in days)
    ):
        return _("Give from 1 to %(most)s whole numbers of days.") % {"most": most}
    if days[0] < first or days[-1] > MAX_REPORT_DAYS or any(a >= b for a, b in pairwise(days)):
        return _("Give the days in increasing order, from %(first)s to %(last)s.") % {
            "first": first,
            "last": MAX_REPORT_DAYS,
        }
    return None


class AccrualPosting(models.TextChoices):
    MONTH_END = "month_end", _("At month end, and when a repayment needs it")
    DAILY = "daily", _("Every day")


# The fund's own accounts besides its lending ones, and their codes in the default chart.
DEFAULT_FUND_ACCOUNTS = {"other_receivables_account": "13888", "refunds_payable_account": "33888"}


class Fund(CleanInputMixin, models.Model):
    """The fund whose books this installation keeps (`fund.selectors.current_fund()`).

    Its business date is the value date every transaction defaults to; close of day moves it.
    """

    class LegalForm(models.TextChoices):
        COOP_CENTRAL = "coop_central", _("Central Cooperative Development Support Fund")
        COOP_PROVINCIAL = "coop_provincial", _("Provincial Cooperative Development Support Fund")
        FARMERS_CENTRAL = "farmers_central", _("Farmers' Support Fund, central")
        FARMERS_PROVINCIAL = "farmers_provincial", _("Farmers' Support Fund, provincial")
        FARMERS_DISTRICT = "farmers_district", _("Farmers' Support Fund, district")
        OTHER = "other", _("Other state financial fund")

    # Always True and unique: the table can hold one row only.
    singleton = models.BooleanField(default=True, editable=False)
    name = models.CharField(_("name"), max_length=255)
    legal_form = models.CharField(_("legal form"), max_length=24, choices=LegalForm.choices)
    province = models.CharField(_("province"), max_length=100)
    address = models.CharField(_("address"), max_length=255, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    charter_capital = vnd_field(_("charter capital"))
    business_date = models.DateField(_("business date"))
    # The first business date: no value date comes before it (fund.selectors.value_date_problem).
    opened_on = models.DateField(_("opening date"), editable=False)
    lending_accounts = models.ManyToManyField(
        "ledger.Account",
        verbose_name=_("cash and bank accounts lent from"),
        related_name="+",
        blank=True,
    )
    exposure_cap = vnd_field(
        _("exposure cap per borrower"),
        null=True,
        blank=True,
        help_text=_("Empty: only the share below applies."),
    )
    exposure_charter_share = models.DecimalField(
        _("exposure per borrower, share of charter capital"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.15"),
    )
    # Every rate a loan is appraised, approved or signed at stays at or below it (loans.domain.terms).
    max_annual_rate = models.DecimalField(
        _("highest interest rate per year"),
        max_digits=7,
        decimal_places=6,
        default=MAX_ANNUAL_RATE,
        help_text=_("No loan is lent above it; the Civil Code allows at most 20 %."),
    )
    # Close of day (loans.services.closing): the fund's rules for classifying and accruing.
    non_accrual_from_group = models.PositiveSmallIntegerField(
        _("interest not taken to income from debt group"),
        default=2,
        choices=[(group, group) for group in range(2, 6)],
        help_text=_("From this group on, accrued interest is reversed and kept off-balance until paid."),
    )
    worst_group_per_borrower = models.BooleanField(
        _("a borrower's loans all take its worst group"), default=True
    )
    # A restructured loan keeps its group or worse until this many installments are paid on time.
    cure_installments = models.PositiveSmallIntegerField(
        _("installments paid on time before a restructured loan may improve"), default=3
    )
    accrual_posting = models.CharField(
        _("accrued interest posted"),
        max_length=10,
        choices=AccrualPosting.choices,
        default=AccrualPosting.MONTH_END,
    )
    # Reports (`loans.selectors.arrears`): the arrears aging buckets, each by its first day past
    # due (the last runs on), and the days past due of the portfolio-at-risk ratios.
    aging_buckets = models.JSONField(
        _("arrears aging buckets from (days past due)"),
        default=default_aging_buckets,
        help_text=_("The first day of each bucket, e.g. 1, 10, 31, 91, 181, 361."),
    )
    par_days = models.JSONField(
        _("portfolio at risk beyond (days past due)"),
        default=default_par_days,
        help_text=_("PAR n: the outstanding of loans more than n days past due, e.g. 1, 30, 90."),
    )
    # Write-off (loans.services.risk): how long what is written off is pursued off-balance.
    off_balance_years = models.PositiveSmallIntegerField(
        _("written-off debt tracked off-balance for (years)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    # Reminders (`loans.services.reminders`): a due-date reminder this many days before each
    # installment (0: none), and an overdue notice on each of these days past due.
    reminder_days_before = models.PositiveSmallIntegerField(
        _("due-date reminder, days before"),
        default=5,
        validators=[MaxValueValidator(60)],
        help_text=_("0: no reminder before the due date."),
    )
    overdue_notice_days = models.JSONField(
        _("overdue notices on (days past due)"),
        default=default_overdue_notice_days,
        help_text=_("A notice on each of these days past due, e.g. 1, 30."),
    )
    # A tranche reversed after authorization (loans.services.reversals): what the borrower owes
    # back until the money returns, and repayments above the debt until refunded.
    other_receivables_account = ledger_account(
        _("other receivables (a tranche owed back)"), null=True, blank=True
    )
    refunds_payable_account = ledger_account(
        _("other payables (repayments to refund)"), null=True, blank=True
    )
    # Weekdays (date.weekday(): Monday 0 ... Sunday 6) the fund does not work; with its
    # non-working days (NonWorkingDay) they make its calendar.
    rest_weekdays = models.JSONField(_("weekly rest days"), default=default_rest_weekdays, blank=True)
    # A new value whenever the calendar changes: what the cached calendar is checked against
    # (`fund.selectors.calendar_days`).
    calendar_token = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("fund")
        permissions = [("advance_business_date", _("Can move the business date forward (close of day)"))]
        constraints = [
            models.UniqueConstraint(
                fields=["singleton"],
                name="fund_fund_single_row",
                violation_error_message=_("The fund is already set up; edit it instead."),
            ),
            models.CheckConstraint(condition=models.Q(singleton=True), name="fund_fund_singleton_true"),
            positive("charter_capital", name="fund_fund_charter_positive"),
            *vnd_only("fund_fund", "charter_capital", "exposure_cap"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.charter_capital is not None and self.charter_capital.amount <= 0:
            errors["charter_capital"] = _("The charter capital must be more than 0.")
        if self.exposure_cap is not None and self.exposure_cap.amount <= 0:
            errors["exposure_cap"] = _("The cap must be more than 0, or left empty.")
        share = self.exposure_charter_share
        if share is not None and not Decimal(0) < share <= Decimal(1):
            errors["exposure_charter_share"] = _("The share is a percentage above 0 and at most 100.")
        rate = self.max_annual_rate
        if rate is not None and not Decimal(0) < rate <= MAX_ANNUAL_RATE:
            errors["max_annual_rate"] = _("The highest rate must be above 0 and at most %(max)s a year.") % {
                "max": format_percent(MAX_ANNUAL_RATE, 0)
            }
        if self.non_accrual_from_group is not None and not 2 <= self.non_accrual_from_group <= 5:
            errors["non_accrual_from_group"] = _("Choose a debt group from 2 to 5.")
        for name, first, most in (
            ("aging_buckets", 1, 12),
            ("par_days", 0, 6),
            ("overdue_notice_days", 1, 6),
        ):
            problem = days_list_problem(getattr(self, name), first=first, most=most)
            if problem:
                errors[name] = problem
        days = self.rest_weekdays
        weekdays = dict(WEEKDAYS).keys()
        if not isinstance(days, list) or len(set(days)) != len(days) or not set(days) <= weekdays:
            errors["rest_weekdays"] = _("Choose rest days from the days of the week, each once.")
        elif len(days) == len(WEEKDAYS):
            errors["rest_weekdays"] = _("Leave at least one working day in the week.")
        if errors:
            raise ValidationError(errors)

    @property
    def rest_weekdays_display(self) -> list[str]:
        names = dict(WEEKDAYS)
        return [names[day] for day in sorted(self.rest_weekdays)]

    @property
    def exposure_limit(self) -> Decimal:
        """The most one borrower may owe the fund: the lower of the cap and the charter share."""
        by_share = round_vnd(self.charter_capital.amount * self.exposure_charter_share)
        if self.exposure_cap is None:
            return by_share
        return min(self.exposure_cap.amount, by_share)


class AuthorityLevel(CleanInputMixin, models.Model):
    """Who may approve a loan of what size: e.g. the director up to an amount, the board above."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="authority_levels")
    name = models.CharField(_("name"), max_length=100)
    max_amount = vnd_field(_("up to"), null=True, blank=True, help_text=_("Empty: no upper limit."))
    holders = models.ManyToManyField(
        "fund.User", verbose_name=_("held by"), blank=True, related_name="authority_levels"
    )

    class Meta:
        verbose_name = _("approval authority level")
        verbose_name_plural = _("approval authority levels")
        ordering = [models.F("max_amount").asc(nulls_last=True), "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "name"],
                name="fund_authority_name_unique",
                violation_error_message=_("A level with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["fund", "max_amount"],
                name="fund_authority_limit_unique",
                violation_error_message=_("Another level already has this limit."),
            ),
            models.UniqueConstraint(
                fields=["fund"],
                condition=models.Q(max_amount__isnull=True),
                name="fund_authority_one_unlimited",
                violation_error_message=_("Only one level can be without an upper limit."),
            ),
            models.CheckConstraint(
                condition=models.Q(max_amount__isnull=True) | models.Q(max_amount__gt=0),
                name="fund_authority_limit_positive",
            ),
            *vnd_only("fund_authority", "max_amount"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.max_amount is not None and self.max_amount.amount <= 0:
            raise ValidationError({"max_amount": _("The limit must be more than 0, or left empty.")})

    def covers(self, amount: Decimal) -> bool:
        return self.max_amount is None or amount <= self.max_amount.amount


class CapitalSource(CleanInputMixin, models.Model):
    """Where the fund's lending money comes from; what it brought in is the sum of its receipts."""

    class Kind(models.TextChoices):
        STATE_BUDGET = "state_budget", _("State budget")
        DONATION = "donation", _("Donations and aid")
        IN_TRUST = "in_trust", _("Funds received in trust")

    # The account each kind is credited to by default, in the fund's chart (411, 4118, 3388).
    DEFAULT_ACCOUNT_CODES = {Kind.STATE_BUDGET: "41111", Kind.DONATION: "4118", Kind.IN_TRUST: "33881"}
    ACCOUNT_TYPES = {Kind.STATE_BUDGET: "equity", Kind.DONATION: "equity", Kind.IN_TRUST: "liability"}

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="capital_sources")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=255)
    account = ledger_account(_("capital account"))
    notes = long_text(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("capital source")
        verbose_name_plural = _("capital sources")
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "name"],
                name="fund_capital_source_name_unique",
                violation_error_message=_("A capital source with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.account_id:
            problem = account_problem(self.account, expected_type=self.ACCOUNT_TYPES.get(self.kind))
            if problem:
                raise ValidationError({"account": problem})


class CapitalReceipt(models.Model):
    """Money received from a capital source, posted Dr cash or bank / Cr the source's account.

    Written only by `fund.services.capital.record_capital_receipt`, with its journal entry.
    """

    source = models.ForeignKey(
        CapitalSource, verbose_name=_("capital source"), on_delete=models.PROTECT, related_name="receipts"
    )
    # The journal entry's idempotency key is made from this, so a receipt is never posted twice.
    key = models.UUIDField(_("key"), unique=True, editable=False)
    amount = vnd_field(_("amount"))
    account = ledger_account(_("received into"))
    value_date = models.DateField(_("value date"))
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    journal_entry = models.OneToOneField(
        "ledger.JournalEntry", verbose_name=_("journal entry"), on_delete=models.PROTECT, related_name="+"
    )
    created_by, created_at = who_and_when(_("recorded by"), _("recorded at"))

    class Meta:
        verbose_name = _("capital receipt")
        verbose_name_plural = _("capital receipts")
        ordering = ["-value_date", "-pk"]
        constraints = [
            positive("amount", name="fund_capital_receipt_positive"),
            *vnd_only("fund_capital_receipt", "amount"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {format_date(self.value_date)}"
