"""Close of day: the accountant chooses up to which date, sees what it will touch, and starts it
(with workers, its progress shows on the page); and provisions on demand between month ends."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from common.dates import format_date
from common.forms import run_service, show_service_errors
from common.views import run_action
from fund.models import Fund
from fund.views.common import fund_required
from ledger.selectors import named_lines
from loans.forms import CloseOfDayForm
from loans.models import CloseOfDay, CloseRun
from loans.selectors.closing import current_run
from loans.services.closing.days import PERMISSION, plan_until
from loans.services.closing.provisions import provision_now, provisions_to_post
from loans.services.closing.runs import start_close


@login_required
@fund_required
def close_of_day(request, fund: Fund):
    """`?until=` shows what closing up to that date touches; posting it starts it: closed here, or
    by the workers, the page then showing their progress (`close_runs.close_progress`)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET if "until" in request.GET else None
    form = CloseOfDayForm(data, initial={"until": timezone.localdate()})
    plan = None
    if form.is_bound and form.is_valid():
        until = form.cleaned_data["until"]
        try:
            plan = plan_until(until)
        except ValidationError as error:
            show_service_errors(form, error)
        if plan is not None and request.method == "POST":
            started = []
            run_service(form, lambda: started.append(start_close(actor=request.user, until=until)))
            fund.refresh_from_db(fields=["business_date"])
            if started:
                _say_started(request, started[0], plan, fund.business_date)
                return redirect("loans:close_of_day")
            # Refused (a closed month in the way, a loan that could not be closed...): the form
            # again with why; the days closed before the refusal stay closed.
            plan = None
    progress, poll = current_run(fund.business_date)
    context = {
        "form": form,
        "plan": plan,
        "business_date": fund.business_date,
        "recent": CloseOfDay.objects.select_related("closed_by")[:15],
        # The close going on (or one left stuck on a loan or a chunk), its progress polled.
        "progress": progress if poll or (progress and progress.run.state == CloseRun.State.RUNNING) else None,
        "poll": poll,
        "title": _("Close of day"),
    }
    return render(request, "loans/close_of_day.html", context, status=400 if form.errors else 200)


def _say_started(request, run: CloseRun | None, plan, business_date) -> None:
    if run is not None and run.state == CloseRun.State.RUNNING:  # the workers close it
        messages.success(
            request,
            _("Close of day started: the workers close %(date)s first; its progress is shown below.")
            % {"date": format_date(run.business_date)},
        )
        return
    days = (business_date - plan.first).days
    messages.success(
        request,
        ngettext(
            "%(count)d day closed; the business date is now %(date)s.",
            "%(count)d days closed; the business date is now %(date)s.",
            days,
        )
        % {"count": days, "date": format_date(business_date)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@fund_required
def provisions(request, fund: Fund):
    """Provisions on demand, on the business date (`closing.provisions`): GET shows what would be
    posted, POST posts it."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if request.method == "GET":
        count, lines = provisions_to_post(actor=request.user)
        context = {
            "count": count,
            "lines": named_lines(lines),
            "business_date": fund.business_date,
        }
        return render(request, "loans/provisions_confirm.html", context)
    changed = []
    if run_action(request, lambda: changed.append(provision_now(actor=request.user))):
        messages.success(
            request,
            ngettext(
                "Provisions brought up to date: %(count)d loan changed.",
                "Provisions brought up to date: %(count)d loans changed.",
                changed[0],
            )
            % {"count": changed[0]},
        )
    return redirect("loans:close_of_day")
