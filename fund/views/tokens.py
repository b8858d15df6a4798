"""A user's API tokens: make one (its key shown on this answer only) and revoke them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import run_service
from common.views import run_action
from fund.forms import ApiTokenForm
from fund.selectors import tokens_of
from fund.services.tokens import issue_token, revoke_token


@login_required
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = run_service(
            form,
            lambda: issue_token(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            ),
        )
        if issued is not None:
            form = ApiTokenForm()
    context = {"form": form, "tokens": tokens_of(request.user), "issued": issued}
    # The key is in this answer only: never cached, never stored.
    response = render(request, "fund/api_tokens.html", context, status=400 if form.errors else 200)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_object_or_404(tokens_of(request.user), pk=pk)
    if run_action(request, lambda: revoke_token(actor=request.user, token=token)):
        messages.success(request, _("Token %(token)s revoked.") % {"token": token})
    return redirect("fund:api_tokens")
