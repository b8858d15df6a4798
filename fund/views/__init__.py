"""The fund app's pages: borrowers, products and the fund in their modules; here what the login
needs (the home page is the site's, `config.views`)."""

from axes.helpers import get_cool_off, get_failure_limit
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """What axes answers to a login refused for too many failures (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "limit": get_failure_limit(request, credentials),
        "minutes": int(get_cool_off(request).total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)


def forwarded_client_ip(request) -> str:
    """Behind nginx, the client's address as nginx sets it (`X-Real-IP`, see the README)."""
    return request.META.get("HTTP_X_REAL_IP") or request.META["REMOTE_ADDR"]
