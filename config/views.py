"""The site's own page: home, where each role finds its work counted (`config.dashboard`) above
the menu."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from config.dashboard import sections
from fund.roles import ROLE_LABELS, roles_of
from fund.selectors import fund_or_none


@login_required
def home(request):
    fund = fund_or_none()
    context = {
        "roles": [ROLE_LABELS[role] for role in roles_of(request.user)],
        "fund": fund,
        "sections": sections(request.user, fund),
    }
    return render(request, "fund/home.html", context)
