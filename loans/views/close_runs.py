"""Watching close of day: the runs, each with its chunks and the loans it could not close (retried
from here once mended), and the progress of the close going on, which its page polls."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.dates import format_date
from common.paging import numbered
from common.views import run_action
from fund.models import Fund
from fund.views.common import fund_required
from loans.models import CloseFailure, CloseRun
from loans.selectors.closing import current_run, run_summaries
from loans.services.closing.days import PERMISSION, Outcome
from loans.services.closing.runs import retry_failure

RUNS_PER_PAGE = 25
CHUNKS_PER_PAGE = 50
FAILURES_SHOWN = 100  # the open ones first: those are what to mend


@login_required
@permission_required(PERMISSION, raise_exception=True)
def close_runs(request):
    page = numbered(request, CloseRun.objects.select_related("started_by"), size=RUNS_PER_PAGE)
    context = {"page": page, "summaries": run_summaries(page.object_list), "title": _("Close of day runs")}
    return render(request, "loans/close_runs.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def close_run(request, pk: int):
    run = get_object_or_404(CloseRun.objects.select_related("started_by"), pk=pk)
    (summary,) = run_summaries([run])
    failures = run.failures.select_related("loan__borrower").order_by("state", "loan")  # open ones first
    page = numbered(request, run.chunks.all(), size=CHUNKS_PER_PAGE)
    for chunk in page:
        chunk.postings = Outcome(counts=chunk.counts).postings
    context = {
        "summary": summary,
        "summaries": [summary],
        "page": page,
        "failures": failures[:FAILURES_SHOWN],
        "failure_count": failures.count(),
        "title": _("Close of day run %(date)s") % {"date": format_date(run.business_date)},
    }
    return render(request, "loans/close_run.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@fund_required
def close_progress(request, fund: Fund):
    """The progress of the close going on, for the close of day page to poll: it stops once
    the answer has no trigger."""
    progress, poll = current_run(fund.business_date)
    return render(request, "loans/_close_progress.html", {"progress": progress, "poll": poll})


@login_required
@require_POST
@permission_required(PERMISSION, raise_exception=True)
def failure_retry(request, pk: int):
    """Close a failed loan again, once mended: closed, or still failing and why."""
    failure = get_object_or_404(CloseFailure.objects.select_related("loan", "run"), pk=pk)
    reference, day = failure.loan.reference, format_date(failure.run.business_date)
    closed = []  # refused (a closed month in the way of the next day...): why is in the messages
    run_action(request, lambda: closed.append(retry_failure(actor=request.user, failure=failure)))
    if closed == [True]:
        messages.success(request, _("%(loan)s is closed for %(date)s.") % {"loan": reference, "date": day})
        if CloseRun.objects.filter(pk=failure.run_id, state=CloseRun.State.DONE).exists():
            business_date = Fund.objects.values_list("business_date", flat=True).get()
            messages.success(
                request,
                _("%(date)s is closed: the business date is now %(next)s.")
                % {"date": day, "next": format_date(business_date)},
            )
    elif closed == [False]:
        failure.refresh_from_db(fields=["message"])
        messages.error(
            request,
            _("%(loan)s still cannot be closed for %(date)s: %(why)s")
            % {"loan": reference, "date": day, "why": failure.message},
        )
    return redirect("loans:close_run", failure.run_id)
