"""The fund app's pages: the home page here; borrowers, products and the fund in their modules."""

from axes.helpers import get_cool_off, get_failure_limit
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fund.roles import ROLE_LABELS, roles_of


@login_required
def home(request):
    roles = [ROLE_LABELS[role] for role in roles_of(request.user)]
    return render(request, "fund/home.html", {"roles": roles})


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
