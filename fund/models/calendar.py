"""The fund's calendar of non-working days: Tết and public holidays (its weekly rest days are a
setting of the fund). A due date falling on a day off moves to the next working day."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.dates import format_date
from fund.models.cleaning import CleanInputMixin


class NonWorkingDay(CleanInputMixin, models.Model):
    """A day the fund does not work. Written only by `fund.services.calendar`, which refuses days
    on or before the business date: a schedule already run never changes."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    added_by = models.ForeignKey(
        "fund.User", verbose_name=_("added by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("non-working day")
        verbose_name_plural = _("non-working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{format_date(self.date)} {self.name}"
