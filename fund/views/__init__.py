"""The fund app's pages: the home page here; borrowers, products and the fund in their modules."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fund.roles import ROLE_LABELS, roles_of


@login_required
def home(request):
    roles = [ROLE_LABELS[role] for role in roles_of(request.user)]
    return render(request, "fund/home.html", {"roles": roles})
