"""The choices restructuring requests offer, shared by their kinds and their forms."""

from django.utils.translation import gettext_lazy as _

CAPITALISE = "capitalise"
CARRY = "carry"
OVERDUE_CHOICES = [
    (CARRY, _("Carried as it is (stays overdue)")),
    (CAPITALISE, _("Into the new schedule (interest on the balance sheet capitalised)")),
]

ACCRUED = "accrued"
OVERDUE = "overdue"
LATE = "late"
WAIVER_PARTS = [
    (ACCRUED, _("Interest accrued, not yet due")),
    (OVERDUE, _("Interest due and overdue")),
    (LATE, _("Late interest and interest on unpaid interest")),
]
