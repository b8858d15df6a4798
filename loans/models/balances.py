"""A loan's stored balances (số dư), effective-dated: one row per sub-loan per stretch of days.

A row holds what a sub-loan (the loan, or a household's share of a group loan) owes from
`valid_from` until the day before `valid_to` (NULL: the current row). Every money event rewrites
the rows from its value date in its own transaction (`loans.services.servicing.balances`), and a
new row starts on each date the position changes: an event, an installment falling due, and the
day after (what is left unpaid is overdue). They are derived data, not the ledger: a back-dated
event or a reversal deletes the rows from its date and writes them again from a replay.

What moves by itself is not stored but derived: days past due from `oldest_unpaid_due_date`;
interest accrued beyond `valid_from` by the replay. What is posted of it (to interest
receivable) is a booking, kept in the loan's sub-ledger (`LoanTransaction`). So nothing is
rewritten daily, and "which loans cross an arrears band or fall due on D" is a range scan on a
date of the current rows, and the position on any past date is one indexed query
(`loans.selectors.balances`).
"""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from fund.models.fields import vnd_field, vnd_only
from loans.domain.classification import days_past_due
from loans.models.loan import household_share

MONEY = (
    "principal_in_term",
    "principal_overdue",
    "interest_accrued",
    "interest_due",
    "interest_overdue",
    "late_interest",
    "penalty",
    "next_due_amount",
)


class LoanBalance(models.Model):
    # Indexed by the (loan, share, valid_from) index below: no index of its own to keep up.
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="balances", db_index=False)
    # A household's share of a group loan; NULL for a loan that is not a group's. Indexed by a
    # partial index below, without the plain loans' NULLs.
    share = household_share("balances", db_index=False)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until (excluded)"), null=True, blank=True)

    principal_in_term = vnd_field(_("principal in term"))  # principal due on valid_from included
    principal_overdue = vnd_field(_("principal overdue"))
    # In-term interest accrued and not yet due, on valid_from (rounded, as the replay's).
    interest_accrued = vnd_field(_("interest accrued"))
    interest_due = vnd_field(_("interest due"))  # fallen due on valid_from, overdue the next day
    interest_overdue = vnd_field(_("interest overdue"))
    late_interest = vnd_field(_("late interest"))  # on overdue principal, owed on valid_from
    penalty = vnd_field(_("interest on unpaid interest"))
    next_due_date = models.DateField(_("next due date"), null=True, blank=True)
    next_due_amount = vnd_field(_("next due amount"))
    oldest_unpaid_due_date = models.DateField(_("oldest unpaid due date"), null=True, blank=True)
    # What the accruing figures grow from on later days of the row, as the engine's rows
    # (`loans.domain.engine.Accruing`, as text): close of day reads a loan's interest on a day
    # from its current row without replaying its events. Empty on rows written before it.
    accruing = models.TextField(_("accruing rows"), blank=True, default="", editable=False)
    # Restructurings replayed by `valid_from` (loans.services.actions). The debt group is the
    # loan's (`Loan.debt_group`, its history in `DebtGroupChange`): close of day decides it for
    # the whole loan and borrower, holding a restructured loan until its cure period is paid.
    restructured = models.BooleanField(_("restructured"), default=False)
    restructure_count = models.PositiveSmallIntegerField(_("times restructured"), default=0)

    class Meta:
        verbose_name = _("loan balance")
        verbose_name_plural = _("loan balances")
        ordering = ["loan", "share", "valid_from"]
        constraints = [
            # One current row per sub-loan (a NULL share is not equal to another NULL: two rules).
            models.UniqueConstraint(
                fields=["loan"],
                condition=models.Q(valid_to__isnull=True, share__isnull=True),
                name="loans_balance_current_loan",
            ),
            models.UniqueConstraint(
                fields=["share"],
                condition=models.Q(valid_to__isnull=True, share__isnull=False),
                name="loans_balance_current_share",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="loans_balance_valid_to_after_from",
            ),
            # What is lent and not repaid is never below zero (the engine refuses paying more than
            # is owed); the reports find the loans owing on a date by it (`loans.portfolio.owing`).
            models.CheckConstraint(
                condition=models.Q(principal_in_term__gte=0, principal_overdue__gte=0),
                name="loans_balance_principal_not_negative",
            ),
            *vnd_only("loans_balance", *MONEY),
        ]
        indexes = [
            # The position on a date: the sub-loan's row with the latest valid_from up to it.
            models.Index(fields=["loan", "share", "valid_from"], name="loans_balance_asof_idx"),
            # Close of day: the current rows falling due, and crossing an arrears band, on a date,
            # in loan order (for chunks). The loan also spreads one due date's rows over the index,
            # so that events on many loans at once do not all write the same index page.
            models.Index(
                fields=["next_due_date", "loan"],
                condition=models.Q(valid_to__isnull=True),
                name="loans_balance_due_idx",
            ),
            # Only the loans in arrears: most rows have nothing unpaid and stay out of it.
            models.Index(
                fields=["oldest_unpaid_due_date", "loan"],
                condition=models.Q(valid_to__isnull=True, oldest_unpaid_due_date__isnull=False),
                name="loans_balance_arrears_idx",
            ),
            # The rows that were in arrears and have ended, by their end: with the index above,
            # the rows in arrears on a past date (the arrears list as of it), and none to read on
            # the business date.
            models.Index(
                fields=["valid_to", "loan"],
                condition=models.Q(valid_to__isnull=False, oldest_unpaid_due_date__isnull=False),
                name="loans_balance_arrears_past_idx",
            ),
            models.Index(
                fields=["share"], condition=models.Q(share__isnull=False), name="loans_balance_share_idx"
            ),
            # The current rows' principal by loan, read from the index alone (PostgreSQL): the home
            # page's outstanding by debt group and that of the loans in arrears (its PAR).
            models.Index(
                fields=["loan"],
                include=["principal_in_term", "principal_overdue"],
                condition=models.Q(valid_to__isnull=True),
                name="loans_balance_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}/{self.share_id or '-'} {self.valid_from}–{self.valid_to or ''}"

    @property
    def principal_outstanding(self):
        return self.principal_in_term.amount + self.principal_overdue.amount

    def days_past_due(self, day: dt.date) -> int:
        """On `day`, within the row: days since the oldest unpaid installment fell due."""
        return days_past_due(self.oldest_unpaid_due_date, day)

    def exact_on(self, day: dt.date) -> bool:
        """Whether the row's step figures are the sub-loan's on `day` (a day it is valid on).

        A closed row is, on each of its days. The current one is up to its next change without
        an event: its next due date, or the day after when that is its first day. Until close of
        day writes the rows for installments falling due, a later day may have moved past it.
        """
        if self.valid_to is not None or self.next_due_date is None:
            return True
        if self.next_due_date > self.valid_from:
            return day < self.next_due_date
        return day == self.valid_from

    def exact_until(self, day: dt.date) -> dt.date:
        """The last day up to `day` (a day the row is valid on) that `exact_on` holds."""
        if self.exact_on(day):
            return day
        return (
            self.next_due_date - dt.timedelta(days=1)
            if self.next_due_date > self.valid_from
            else self.valid_from
        )
