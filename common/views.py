"""What every app's views share: action buttons, form pages whose POST calls one service, and
the filters of a list."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from common.forms import run_service


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
