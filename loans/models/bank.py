"""Bank statements (sao kê) and their reconciliation with the fund's bank accounts.

A bank account is one of the fund's cash-at-bank accounts of the chart (112x). How its bank's
statement file is laid out is kept per account (`StatementMapping`). Each statement line is
stored once: its `fingerprint` (account, dates, amount, direction, reference, description and
its ordinal among identical lines of the file) is unique, so importing a statement again adds
nothing. A line is matched to at most one repayment, tranche, capital receipt or journal entry
(one posted by hand, a bank's fee or interest say, or a recovery's), and each of those to at
most one line (unique columns).
"""

import functools
import operator

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.dates import format_date
from common.fields import one_of, staff_user, who_and_when
from common.text import long_text
from fund.models.fields import ledger_account, vnd_field, vnd_only

DATE_FORMATS = [
    ("%d/%m/%Y", "dd/mm/yyyy"),
    ("%d-%m-%Y", "dd-mm-yyyy"),
    ("%d.%m.%Y", "dd.mm.yyyy"),
    ("%Y-%m-%d", "yyyy-mm-dd"),
    ("%m/%d/%Y", "mm/dd/yyyy"),
]
HEADER_MAX = 100  # a column's header text in a bank's file


def _header(verbose_name, **kwargs) -> models.CharField:
    return models.CharField(verbose_name, max_length=HEADER_MAX, blank=True, **kwargs)


class StatementMapping(models.Model):
    """Which column of a bank's statement file holds what, for one bank account."""

    account = models.OneToOneField(
        "ledger.Account", verbose_name=_("bank account"), on_delete=models.PROTECT, related_name="+"
    )
    header_row = models.PositiveSmallIntegerField(
        _("header row"), default=1, help_text=_("The row of the file holding the column headers.")
    )
    date_format = models.CharField(
        _("date format"), max_length=10, choices=DATE_FORMATS, default=DATE_FORMATS[0][0]
    )
    booking_date_column = _header(_("booking date column"))
    value_date_column = _header(_("value date column"), help_text=_("Empty: the booking date."))
    description_column = _header(_("description column"))
    reference_column = _header(_("reference column"))
    credit_column = _header(_("money in (credit) column"))
    debit_column = _header(_("money out (debit) column"))
    amount_column = _header(
        _("signed amount column"),
        help_text=_("Instead of the two columns above: money in positive, money out negative."),
    )
    balance_column = _header(_("balance column"))
    match_days = models.PositiveSmallIntegerField(
        _("days a value date may differ"),
        default=3,
        help_text=_("A line matches a transaction dated up to this many days before or after it."),
    )
    updated_by = staff_user(_("changed by"))
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("bank statement layout")
        verbose_name_plural = _("bank statement layouts")
        constraints = [
            models.CheckConstraint(
                condition=Q(header_row__gte=1, header_row__lte=50), name="loans_mapping_header_row"
            ),
            models.CheckConstraint(condition=Q(match_days__lte=31), name="loans_mapping_match_days"),
        ]

    def __str__(self) -> str:
        return str(self.account_id)


class BankStatement(models.Model):
    """A statement file imported for a bank account: the lines it added and those it found again."""

    account = ledger_account()
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    first_date = models.DateField(_("first line booked on"))
    last_date = models.DateField(_("last line booked on"))
    lines_added = models.PositiveIntegerField(_("lines added"))
    lines_skipped = models.PositiveIntegerField(_("lines already imported"))
    imported_by, imported_at = who_and_when(_("imported by"), _("imported at"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-pk"]
        permissions = [("reconcile_bank", _("Can import bank statements and reconcile them"))]

    def __str__(self) -> str:
        return self.file_name


def _balance(verbose_name) -> models.DecimalField:
    """An account's balance in đồng, as a bank states it: it may be negative (an overdraft)."""
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=0, null=True, blank=True)


# What a line can be matched to: a column for each.
TARGETS = ("repayment", "disbursement", "capital_receipt", "journal_entry")


def _points_at(target: str | None) -> dict:
    """The lookups of a line pointing at `target` only (None: at nothing)."""
    return {f"{name}__isnull": name != target for name in TARGETS}


class StatementLine(models.Model):
    """One line of a bank statement and what it was matched to."""

    class Direction(models.TextChoices):
        CREDIT = "credit", _("Money in")
        DEBIT = "debit", _("Money out")

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("Unmatched")
        SUGGESTED = "suggested", _("Suggested")
        MATCHED = "matched", _("Matched")

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    account = ledger_account()
    row = models.PositiveIntegerField(_("row"))
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"))
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    amount = vnd_field(_("amount"))
    description = long_text(_("description"), blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    balance = _balance(_("balance"))
    fingerprint = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.UNMATCHED)
    # What the line is (or may be) matched to: one of the three at most, each to one line at most.
    repayment = models.OneToOneField(
        "loans.Repayment", on_delete=models.PROTECT, null=True, blank=True, related_name="statement_line"
    )
    disbursement = models.OneToOneField(
        "loans.Disbursement", on_delete=models.PROTECT, null=True, blank=True, related_name="statement_line"
    )
    capital_receipt = models.OneToOneField(
        "fund.CapitalReceipt", on_delete=models.PROTECT, null=True, blank=True, related_name="statement_line"
    )
    # No reverse accessor on the ledger's entries (`posted_entry`): the selectors ask from here.
    journal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    matched_by, matched_at = who_and_when(_("matched by"), _("matched at"), later=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["account", "booking_date", "pk"]
        indexes = [
            models.Index(fields=["account", "booking_date"], name="loans_stmtline_account_idx"),
            models.Index(fields=["account", "status"], name="loans_stmtline_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loans_stmtline_amount_positive"),
            one_of("loans_stmtline", "direction", ["credit", "debit"]),
            one_of("loans_stmtline", "status", ["unmatched", "suggested", "matched"]),
            # An unmatched line points at nothing; the others at exactly one transaction.
            models.CheckConstraint(
                condition=Q(status="unmatched", **_points_at(None))
                | (
                    ~Q(status="unmatched")
                    & functools.reduce(operator.or_, (Q(**_points_at(target)) for target in TARGETS))
                ),
                name="loans_stmtline_one_target",
            ),
            *vnd_only("loans_stmtline", "amount"),
        ]

    def __str__(self) -> str:
        return f"{format_date(self.booking_date)} {self.amount}"

    @property
    def target_kind(self) -> str | None:
        """Which of `TARGETS` the line is (or may be) matched to (None: nothing)."""
        return next((name for name in TARGETS if getattr(self, f"{name}_id") is not None), None)

    @property
    def target(self):
        """The repayment, tranche, capital receipt or entry the line is (or may be) matched to."""
        return getattr(self, self.target_kind) if self.target_kind else None


class ReconciledPeriod(models.Model):
    """A period of a bank account's statement an accountant found fully matched (who, when);
    reopened only by an accountant with a reason."""

    account = ledger_account()
    first_date = models.DateField(_("period from"))
    last_date = models.DateField(_("period to"))
    reconciled_by, reconciled_at = who_and_when(_("reconciled by"), _("reconciled at"))
    # Both on the last date, as the accountant saw them (`selectors.bank.balance_check`); empty
    # when the statement gives no balance (and for periods reconciled before they were kept).
    statement_balance = _balance(_("statement balance"))
    books_balance = _balance(_("books balance"))
    reopened_by, reopened_at = who_and_when(_("reopened by"), _("reopened at"), later=True)
    reopen_reason = long_text(_("reason for reopening"), blank=True)

    class Meta:
        verbose_name = _("reconciled bank period")
        verbose_name_plural = _("reconciled bank periods")
        ordering = ["account", "-first_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_date__lte=models.F("last_date")), name="loans_period_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{format_date(self.first_date)}–{format_date(self.last_date)}"
