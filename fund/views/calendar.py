"""The fund's calendar of non-working days: listed by year, added one day or a range at a time,
removed. Only days after the business date change (`fund.services.calendar`)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.dates import format_date
from common.views import run_action, submit_form
from fund import selectors
from fund.forms import NonWorkingDaysForm
from fund.models import Fund
from fund.services.calendar import add_non_working_days, remove_non_working_day
from fund.views.common import fund_required

# The years a page may show: wide enough for any fund's history and plans.
YEARS = range(2000, 2101)


@login_required
@permission_required("fund.view_nonworkingday", raise_exception=True)
@fund_required
def calendar(request, fund: Fund):
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = fund.business_date.year
    if year not in YEARS:
        year = fund.business_date.year
    form = NonWorkingDaysForm(request.POST or None)
    done = submit_form(
        request,
        form,
        lambda: add_non_working_days(actor=request.user, **form.cleaned_data),
        lambda added: (
            _("%(count)d days off added.") % {"count": added} if added else _("These days were already off."),
            f"{reverse('fund:calendar')}?year={form.cleaned_data['first'].year}",
        ),
    )
    if done:
        return done
    context = {
        "fund": fund,
        "year": year,
        "days": selectors.non_working_days(year=year),
        "form": form,
        "previous_year": year - 1 if year - 1 in YEARS else None,
        "next_year": year + 1 if year + 1 in YEARS else None,
    }
    return render(request, "fund/calendar.html", context)


@require_POST
@login_required
@permission_required("fund.delete_nonworkingday", raise_exception=True)
def calendar_remove(request):
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, _("Choose a day of the list to remove."))
        return redirect("fund:calendar")
    if run_action(request, lambda: remove_non_working_day(actor=request.user, day=day)):
        messages.success(request, _("%(date)s is a working day again.") % {"date": format_date(day)})
    return redirect(f"{reverse('fund:calendar')}?year={day.year}")
