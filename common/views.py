"""What every app's views share: action buttons, form pages whose POST calls one service, the
filters of a list; file imports run as background jobs (`common.jobs`) and their pages."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from common.forms import run_service
from common.jobs import start_import
from common.models import ImportJob


def run_action(request, call: Callable[[], Any]) -> bool:
    """Call a service for an action button: True when it did it. A refusal becomes error
    messages on the next page, never a 500."""
    try:
        call()
    except (ValidationError, PermissionDenied) as error:
        refused = getattr(error, "messages", None) or [str(error) or _("You are not allowed to do this.")]
        for message in refused:
            messages.error(request, message)
        return False
    return True


def bound_filters(request, form_class, **kwargs) -> tuple[Any, dict]:
    """A list's filter form bound to the query string, and what it chose: nothing while a filter
    is wrong (the page shows the form's errors over the whole list)."""
    filters = form_class(request.GET or None, **kwargs)
    return filters, (filters.cleaned_data if filters.is_valid() else {})


def submit_form(
    request, form, save: Callable[[], Any], done: Callable[[Any], tuple[str, str]]
) -> HttpResponse | None:
    """A form page's POST: when the form is valid, call the service `save`. What it returns goes
    to `done`, which gives the success message and the address to go to; a refusal goes on the
    form and None comes back, for the page to show the form again."""
    if request.method == "POST" and form.is_valid():
        result = run_service(form, save)
        if result is not None:
            message, url = done(result)
            messages.success(request, message)
            return redirect(url)
    return None


def start_import_job(
    request, form, *, permission: str, kind: str, title: str, task: str
) -> HttpResponse | None:
    """An import page's POST: a valid upload (its size and type checked by the form) is kept on
    a job that `task` imports, and the browser goes to the job's page; a refusal goes on the
    form and None comes back, for the page to show the form again."""
    if request.method != "POST" or not form.is_valid():
        return None
    job = run_service(
        form,
        lambda: start_import(
            actor=request.user,
            permission=permission,
            kind=kind,
            title=title,
            task=task,
            page=request.get_full_path(),
            upload=form.cleaned_data["file"],
        ),
    )
    return redirect(job) if job is not None else None


@login_required
def import_job(request, pk: int):
    """An import's page: its progress (polled while it works), then what it did or the rows it
    refused. Another user's is a 404; a superuser sees all."""
    job = get_object_or_404(ImportJob.visible_to(request.user), pk=pk)
    return render(request, "common/jobs/import.html", {"job": job, "title": job.title})


@login_required
def import_progress(request, pk: int):
    """The import's progress and result, for its page to poll: it stops once the answer has no trigger."""
    job = get_object_or_404(ImportJob.visible_to(request.user), pk=pk)
    return render(request, "common/jobs/_import_progress.html", {"job": job})
