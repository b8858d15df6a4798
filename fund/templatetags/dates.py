"""Which day a date is (issue 20): a business date is the fund's day, which close of day moves
on and which can lag the clock; a moment something was recorded is the clock's. Pages say which
one they show, so an approval on the business date never looks dated before an appraisal
recorded on the clock the same morning.

`{{ loan.submitted_on|business_date }}` gives `06/12/2026 (ngày nghiệp vụ)`;
`{{ event.at|recorded_at }}` gives `ghi lúc 06/12/2026 14:05`.
"""

from django import template
from django.utils.translation import gettext as _

from common.dates import format_date, format_datetime

register = template.Library()


@register.filter
def business_date(day) -> str:
    return _("%(date)s (business date)") % {"date": format_date(day)} if day else "—"


@register.filter
def recorded_at(moment) -> str:
    return _("recorded at %(time)s") % {"time": format_datetime(moment)} if moment else "—"
