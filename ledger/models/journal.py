import uuid

from django.db import NotSupportedError, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from common.fields import positive, staff_user
from common.money import MONEY_DIGITS
from ledger.models.accounts import Account

SOURCE_MANUAL = "manual"
SOURCE_REVERSAL = "reversal"

# What posted an entry, as the journal names it; a source not named here shows its code.
SOURCE_LABELS = {
    SOURCE_MANUAL: _("Manual entry"),
    SOURCE_REVERSAL: _("Reversal"),
    "year_end": _("Year-end closing"),
    "capital": _("Capital received"),
    "disbursement": _("Disbursement"),
    "repayment": _("Repayment"),
    "close_of_day": _("Close of day"),
    "loan_action": _("Loan action"),
    "tranche_reversal": _("Disbursement reversed"),
    "write_off": _("Write-off"),
    "recovery": _("Recovery of written-off debt"),
    "tracking_end": _("Off-balance tracking ended"),
    "portfolio_import": _("Portfolio brought in"),
}


def source_label(kind: str) -> str:
    return str(SOURCE_LABELS.get(kind, kind))


def readable_reference(reference: str) -> str:
    """A source's reference as people read it: a loan's or an entry's number, a year; not a
    key made for the machine (a UUID), which says nothing on paper."""
    try:
        uuid.UUID(reference)
    except ValueError:
        return reference
    return ""


class PostedRowError(NotSupportedError):
    """Raised on any attempt to write the journal other than through the posting service."""


def _refuse(*args, **kwargs):
    raise PostedRowError("The journal is written only by ledger.services.posting and never changed.")


class PostedQuerySet(models.QuerySet):
    """The journal through the ORM is read-only: corrections are reversal entries."""

    update = delete = bulk_create = bulk_update = get_or_create = update_or_create = _refuse


class PostedModel(models.Model):
    objects = PostedQuerySet.as_manager()

    class Meta:
        abstract = True

    save = delete = _refuse


def _vnd(verbose_name):
    return MoneyField(
        verbose_name,
        max_digits=MONEY_DIGITS,
        decimal_places=0,
        default_currency="VND",
        default=0,
        currency_max_length=3,
    )


class JournalEntry(PostedModel):
    """A posted entry: immutable once written (PostgreSQL refuses UPDATE and DELETE too).

    Only `ledger.services.posting` creates entries. The number is sequential and gap-free
    within the calendar year of the value date: 2026-000123.
    """

    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    sequence = models.PositiveIntegerField(_("sequence"), editable=False)
    value_date = models.DateField(_("value date"), db_index=True)
    memo = models.CharField(_("memo"), max_length=500)
    source_kind = models.CharField(_("source"), max_length=32, default=SOURCE_MANUAL)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    # Unique by a constraint, not `unique=True`: on PostgreSQL that would add a second,
    # pattern-matching index that every posting maintains and no query uses.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    # No index: every posting would maintain it; who posted is read per entry.
    created_by = staff_user(_("created by"), null=True, blank=True, db_index=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["year", "sequence"]
        permissions = [
            ("reverse_journalentry", _("Can reverse a journal entry")),
            ("export_ledger", _("Can export the ledger's tables to .xlsx")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="ledger_entry_number_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_entry_idempotency_key_unique"),
            positive("sequence", name="ledger_entry_sequence_positive"),
            models.CheckConstraint(
                condition=~models.Q(reverses=models.F("pk")), name="ledger_entry_not_own_reversal"
            ),
        ]
        indexes = [models.Index(fields=["source_kind", "source_ref"], name="ledger_entry_source")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.year}-{self.sequence:06d}"

    @property
    def source_label(self) -> str:
        return source_label(self.source_kind)

    @property
    def reference_shown(self) -> str:
        return readable_reference(self.source_ref)


class JournalLine(PostedModel):
    """One debit or one credit of an entry, in positive whole đồng.

    `value_date` repeats the entry's (checked by the database at commit on PostgreSQL), so a
    balance as of a date is a range scan of one index, without joining the entries.
    """

    # Checked by the ledger's triggers, not foreign keys (migration 0015): a foreign key checks
    # each line on its own, the triggers a statement's lines together.
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("entry"),
        on_delete=models.PROTECT,
        related_name="lines",
        db_constraint=False,
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    value_date = models.DateField(_("value date"), editable=False)
    debit = _vnd(_("debit"))
    credit = _vnd(_("credit"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0) & models.Q(credit=0))
                | (models.Q(debit=0) & models.Q(credit__gt=0)),
                name="ledger_line_one_side_positive",
            ),
            models.CheckConstraint(condition=models.Q(debit_currency="VND"), name="ledger_line_debit_vnd"),
            models.CheckConstraint(condition=models.Q(credit_currency="VND"), name="ledger_line_credit_vnd"),
        ]
        indexes = [
            # A balance as of a date is a range scan of one account's lines.
            models.Index(fields=["account", "value_date"], name="ledger_line_account_date"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.account_id}"


class JournalSequence(models.Model):
    """The last number given to an entry of a year. Its row lock keeps numbers gap-free."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("journal number sequence")
        verbose_name_plural = _("journal number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class AccountDay(PostedModel):
    """What was posted to an account on a value date, summed: a balance as of a date adds up at
    most one row per account and day instead of every line.

    Kept by the database itself, by a trigger on every insert of lines (migration 0008), in the
    same transaction; on PostgreSQL nothing else can write it.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="days", db_index=False)
    value_date = models.DateField()
    debit = models.DecimalField(max_digits=24, decimal_places=0)
    credit = models.DecimalField(max_digits=24, decimal_places=0)
    line_count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "value_date"], name="ledger_accountday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.value_date}"
