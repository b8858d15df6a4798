"""Money moving for a loan: disbursements, repayments and the loan's sub-ledger.

`LoanTransaction` is the sub-ledger: one row per posting the loan made, never changed, each
pointing at its journal entry. Its `principal` is the change in what the borrower owes (a
disbursement adds, a repayment takes away, a reversal undoes); its `interest`, `late_interest`
and `penalty` are what was collected. The control columns (`CONTROL_COLUMNS`) are what the
posting did to each of the loan's control accounts, as the posting rules say
(`fund.accounting.controls`): principal overdue (in term is `principal` less it), interest
receivable, suspended interest, provisions. Summed over all rows they are what the loan has on
the books, and over all loans they equal the GL control accounts (`manage.py reconcile`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from common.fields import one_of, positive, who_and_when
from common.money import MONEY_DIGITS
from common.text import long_text
from fund.models.fields import ledger_account, posted_entry, vnd_field, vnd_only
from loans.domain.schedule import LOWER_INSTALLMENTS, SHORTEN_TERM
from loans.models.loan import household_share


class Disbursement(models.Model):
    """A tranche (giải ngân): entered by an officer, authorized and posted by an accountant."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for authorization")
        AUTHORIZED = "authorized", _("Authorized and posted")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed after authorization")

    # What does not count as drawn on the contract: cancelled before it was paid out, or reversed.
    NOT_DRAWN = (Status.CANCELLED, Status.REVERSED)

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="disbursements")
    value_date = models.DateField(_("value date"))
    amount = vnd_field(_("amount"))
    account = ledger_account(_("paid from"))
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    status = FSMField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING, protected=True
    )
    recorded_by, recorded_at = who_and_when(_("entered by"), _("entered at"))
    decided_by, decided_at = who_and_when(
        _("authorized or cancelled by"), _("authorized or cancelled at"), later=True
    )
    cancel_reason = long_text(_("reason for cancelling"), blank=True)
    # Made when the tranche form is shown, so that the form sent twice enters one tranche.
    idempotency_key = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["loan", "value_date", "pk"]
        permissions = [
            ("authorize_disbursement", _("Can authorize a disbursement")),
        ]
        constraints = [
            positive("amount", name="loans_disbursement_amount_positive"),
            one_of("loans_disbursement", "status", ["pending", "authorized", "cancelled", "reversed"]),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="loans_disbursement_key_once",
            ),
            *vnd_only("loans_disbursement", "amount"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.amount} {self.value_date}"

    @transition(
        field=status,
        source=Status.PENDING,
        target=Status.AUTHORIZED,
        permission="loans.authorize_disbursement",
    )
    def authorize(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.CANCELLED)
    def cancel(self) -> None:
        pass

    @transition(field=status, source=Status.AUTHORIZED, target=Status.REVERSED)
    def reverse(self) -> None:
        """Taken back after it was posted, as an approved request said (`loans.services.reversals`)."""


class DisbursementShare(models.Model):
    """What of a group loan's tranche goes to each household's sub-loan."""

    disbursement = models.ForeignKey(Disbursement, on_delete=models.PROTECT, related_name="shares")
    share = models.ForeignKey("loans.LoanMemberShare", on_delete=models.PROTECT, related_name="disbursements")
    amount = vnd_field(_("amount"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["disbursement", "share"], name="loans_disbursement_share_once"),
            positive("amount", name="loans_disbursement_share_positive"),
            *vnd_only("loans_disbursement_share", "amount"),
        ]

    def __str__(self) -> str:
        return f"{self.share_id}: {self.amount}"


class RepaymentImport(models.Model):
    """An .xlsx file of repayments imported at once (all rows or none)."""

    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    rows = models.PositiveIntegerField(_("rows posted"))
    skipped = models.PositiveIntegerField(_("rows already imported"))
    total = vnd_field(_("total posted"))
    imported_by, imported_at = who_and_when(None, _("imported at"))

    class Meta:
        verbose_name = _("repayment import")
        verbose_name_plural = _("repayment imports")
        ordering = ["-imported_at"]
        constraints = [*vnd_only("loans_repayment_import", "total")]

    def __str__(self) -> str:
        return self.file_name


class Repayment(models.Model):
    """Money received from the borrower (trả nợ). How it was spent lives in the sub-ledger."""

    class Channel(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        FARMERS_UNION = "farmers_union", _("Through the commune Farmers' Union")

    class PrepaymentMode(models.TextChoices):
        LOWER_INSTALLMENTS = LOWER_INSTALLMENTS, _("Lower the later installments")
        SHORTEN_TERM = SHORTEN_TERM, _("Shorten the term")

    class Status(models.TextChoices):
        POSTED = "posted", _("Posted")
        REVERSED = "reversed", _("Reversed")

    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="repayments")
    share = household_share("repayments")
    value_date = models.DateField(_("value date"))
    amount = vnd_field(_("amount"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    account = ledger_account(_("received into"))
    prepayment_mode = models.CharField(
        _("a prepayment"), max_length=20, choices=PrepaymentMode.choices, default=LOWER_INSTALLMENTS
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    batch = models.ForeignKey(
        RepaymentImport, on_delete=models.PROTECT, null=True, blank=True, related_name="repayments"
    )
    status = FSMField(
        _("status"), max_length=10, choices=Status.choices, default=Status.POSTED, protected=True
    )
    recorded_by, recorded_at = who_and_when(_("entered by"), _("entered at"))
    reversed_by, reversed_at = who_and_when(_("reversed by"), _("reversed at"), later=True)
    reversal_reason = long_text(_("reason for reversing"), blank=True)

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        ordering = ["loan", "value_date", "pk"]
        permissions = [("reverse_repayment", _("Can reverse a repayment"))]
        constraints = [
            positive("amount", name="loans_repayment_amount_positive"),
            *vnd_only("loans_repayment", "amount"),
        ]
        indexes = [models.Index(fields=["loan", "status", "value_date"], name="loans_repayment_loan_idx")]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.amount} {self.value_date}"

    @transition(
        field=status, source=Status.POSTED, target=Status.REVERSED, permission="loans.reverse_repayment"
    )
    def reverse(self) -> None:
        pass


# The control accounts a transaction records besides `principal`, as `fund.accounting.CONTROLS`
# names them (its "principal" is in term: `principal` less `overdue_principal` here).
CONTROL_COLUMNS = (
    "overdue_principal",
    "interest_receivable",
    "late_interest_receivable",
    "suspended_interest",
    "suspended_late",
    "specific_provision",
    "general_provision",
    "written_off_principal",
    "written_off_interest",
)


def control_values(controls: dict) -> dict:
    """A sub-ledger row's control columns from what the posting rules say an event did to each
    control account (`fund.accounting.controls`)."""
    return {name: controls[name] for name in CONTROL_COLUMNS}


# The kinds that are money events of the borrower's (the rest are close of day's book-keeping).
MONEY_KINDS = ("disbursement", "repayment", "reversal")


def _control(verbose_name):
    # Signed, in whole đồng; internal book-keeping figures, so plain decimals without a currency.
    return models.DecimalField(verbose_name, max_digits=MONEY_DIGITS, decimal_places=0, default=0)


def _source(model) -> models.ForeignKey:
    """The event a sub-ledger row comes from, if any (`LoanTransaction`'s partial indexes; the
    reference checked by a trigger, not a foreign key: see `LoanTransaction`)."""
    return models.ForeignKey(
        model,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
    )


class LoanTransaction(models.Model):
    """One line of the loan's sub-ledger, with the journal entry that posted it."""

    class Kind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Disbursement")
        REPAYMENT = "repayment", _("Repayment")
        REVERSAL = "reversal", _("Reversal")
        # Close of day (loans.services.closing), one of each per loan and day at most.
        OVERDUE = "overdue", _("Overdue transfer")
        ACCRUAL = "accrual", _("Interest accrual")
        SUSPENSION = "suspension", _("Suspended interest")
        PROVISION = "provision", _("Provision")
        # A loan brought in at a cut-over date (loans.services.onboarding): its opening balances.
        OPENING = "opening", _("Opening balance")
        # Restructuring (loans.services.actions).
        WAIVER = "waiver", _("Interest waived")
        CAPITALISED = "capitalised", _("Interest capitalised")
        # Approved actions and what follows a write-off (`loans.services.risk`, `.reversals`).
        WRITE_OFF = "write_off", _("Write-off")
        RECOVERY = "recovery", _("Recovery after write-off")
        TRACKING_END = "tracking_end", _("Off-balance tracking ended")
        TRANCHE_REVERSAL = "tranche_reversal", _("Tranche reversed")

    # Indexed by the (loan, value_date) index below. A close of day writes a row per loan and
    # step, so each index is kept up for every loan at each month end: the share, the
    # disbursement and the repayment, empty on most rows, are indexed only where set. Those
    # three and `reverses` are checked on PostgreSQL by a trigger that fires only for a row that
    # has one (migration 0025), not by foreign keys: PostgreSQL runs a foreign key's check for
    # every row, an empty key too: about a fifth of a 100 000-loan month end's commits.
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    share = household_share("transactions", db_index=False, db_constraint=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value_date = models.DateField(_("value date"))
    # The fund's business date when it was posted: a back-dated event is booked on the day it is
    # entered; reconciliation with the GL goes by this date, arrears by the value date.
    booking_date = models.DateField(_("booking date"))
    amount = vnd_field(_("amount"))
    principal = vnd_field(_("principal"))
    interest = vnd_field(_("interest"))
    late_interest = vnd_field(_("late interest"))
    penalty = vnd_field(_("interest on unpaid interest"))
    overdue_principal = _control(_("principal overdue"))
    interest_receivable = _control(_("interest receivable"))
    late_interest_receivable = _control(_("late interest receivable"))
    suspended_interest = _control(_("suspended interest"))
    suspended_late = _control(_("suspended late interest"))
    specific_provision = _control(_("specific provision"))
    general_provision = _control(_("general provision"))
    written_off_principal = _control(_("written-off principal (off-balance)"))
    written_off_interest = _control(_("written-off interest (off-balance)"))
    disbursement = _source(Disbursement)
    repayment = _source(Repayment)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        db_constraint=False,
    )
    # A group loan's tranche posts one entry for all its households' sub-loans.
    journal_entry = posted_entry()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan transaction")
        verbose_name_plural = _("loan transactions")
        ordering = ["loan", "value_date", "pk"]
        constraints = [
            *vnd_only("loans_transaction", "amount", "principal", "interest", "late_interest", "penalty"),
        ]
        indexes = [
            models.Index(fields=["loan", "value_date"], name="loans_transaction_loan_idx"),
            # Close of day: the loans with an event booked on the day it closes.
            models.Index(fields=["booking_date"], name="loans_transaction_booked_idx"),
            *(
                models.Index(
                    fields=[name],
                    condition=models.Q(**{f"{name}__isnull": False}),
                    name=f"loans_txn_{name}_idx",
                )
                for name in ("share", "disbursement", "repayment")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.amount}"
