from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from common.fields import one_of, staff_user


class PeriodState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Period(FSMModelMixin, models.Model):
    """A calendar month of the books. Nothing can be posted into a closed month.

    A month without a row is open; its row appears when it is first closed. Closing and
    reopening are transitions (`ledger.services.periods`), each recorded as a PeriodEvent.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    state = FSMField(
        _("state"), max_length=8, choices=PeriodState.choices, default=PeriodState.OPEN, protected=True
    )

    class Meta:
        verbose_name = _("accounting period")
        verbose_name_plural = _("accounting periods")
        ordering = ["-year", "-month"]
        permissions = [
            ("close_period", _("Can close an accounting period")),
            ("reopen_period", _("Can reopen an accounting period")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="ledger_period_month_unique"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="ledger_period_month_valid"
            ),
            one_of("ledger_period", "state", PeriodState.values),
        ]

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year}"

    @property
    def is_closed(self) -> bool:
        return self.state == PeriodState.CLOSED

    @transition(
        field=state, source=PeriodState.OPEN, target=PeriodState.CLOSED, permission="ledger.close_period"
    )
    def close(self) -> None:
        """Close the month to postings."""

    @transition(
        field=state, source=PeriodState.CLOSED, target=PeriodState.OPEN, permission="ledger.reopen_period"
    )
    def reopen(self) -> None:
        """Open the month to postings again."""


class PeriodEvent(models.Model):
    """Who closed or reopened a month, when and why."""

    class Action(models.TextChoices):
        CLOSE = "close", _("Closed")
        REOPEN = "reopen", _("Reopened")

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    actor = staff_user(_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("period event")
        verbose_name_plural = _("period events")
        ordering = ["-at", "-pk"]
        constraints = [
            one_of("ledger_periodevent", "action", ["close", "reopen"]),
            models.CheckConstraint(
                condition=~models.Q(action="reopen", reason=""), name="ledger_periodevent_reopen_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.action}"
