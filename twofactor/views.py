"""Two-factor pages: give the code at sign-in, set up the authenticator app, see and manage it."""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.decorators import otp_required

from common.forms import run_service
from twofactor import selectors, services
from twofactor.forms import CodeForm


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: `redirect` takes anything else without a slash for a URL name.
    allowed = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    )
    return target if allowed else reverse("home")


@login_required
def verify(request):
    if request.user.is_verified() or selectors.authenticator(request.user) is None:
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = run_service(form, lambda: services.verify(user=request.user, code=form.cleaned_data["code"]))
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
    status = 400 if form.errors else 200
    return render(request, "twofactor/verify.html", {"form": form, "next": _next(request)}, status=status)


@login_required
def enrol(request):
    if selectors.authenticator(request.user) is not None:
        return redirect("twofactor:home")
    device = services.start_enrolment(actor=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = run_service(
            form, lambda: services.confirm_enrolment(actor=request.user, code=form.cleaned_data["code"])
        )
        if confirmed is not None:
            device, codes = confirmed
            otp_login(request, device)
            context = {"codes": codes, "next": _next(request)}
            return render(request, "twofactor/recovery_codes.html", context)
    context = {
        "form": form,
        "next": _next(request),
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5),
        "secret": _base32(device.bin_key),
        "required": selectors.second_factor_required(request.user),
    }
    return render(request, "twofactor/enrol.html", context, status=400 if form.errors else 200)


def _base32(key: bytes) -> str:
    """The secret as an app takes it typed in, in groups of four."""
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def home(request):
    context = {
        "device": selectors.authenticator(request.user),
        "required": selectors.second_factor_required(request.user),
        "codes_left": selectors.recovery_codes_left(request.user),
    }
    return render(request, "twofactor/home.html", context)


@require_POST
@otp_required
def recovery_codes(request):
    try:
        codes = services.new_recovery_codes(actor=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("twofactor:home")
    return render(request, "twofactor/recovery_codes.html", {"codes": codes, "next": reverse("home")})


@require_POST
@otp_required
def remove(request):
    try:
        services.remove_own(actor=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, _("Two-factor sign-in is off for your account."))
    return redirect("twofactor:home")
