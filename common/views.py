"""What every app's views share for action buttons (a POST that calls one service)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _


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
