"""Sign-in is not finished until the second factor is given, where one is needed."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from twofactor.selectors import authenticator, must_verify

# Reachable before the second factor: signing in and out, giving it or setting it up, choosing
# the language, static files.
_OPEN_URLS = (
    "login",
    "logout",
    "admin:login",
    "admin:logout",
    "set_language",
    "twofactor:verify",
    "twofactor:enrol",
)


SESSION_KEY = "twofactor_needed"


def remember_at_sign_in(sender, request, user, **kwargs) -> None:
    """Whether this session must give a second factor (a `user_logged_in` receiver)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = must_verify(user)


class SecondFactorRequired:
    """A session user who must give a second factor (`twofactor.selectors.must_verify`) and has
    not sees only the page asking for it, or setting it up when it has none. The API answers
    such a session 403; a machine's token is not a session and is not asked (DRF authenticates
    it after this middleware: here it is anonymous)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        unverified = user.is_authenticated and not user.is_verified()
        if unverified and not self._open(request.path) and self._must_verify(request, user):
            return self._ask(request, user)
        return self.get_response(request)

    @staticmethod
    def _must_verify(request, user) -> bool:
        # Decided at sign-in (`remember_at_sign_in`), so a page costs no query for it; a role
        # that requires it, granted later, applies from the user's next sign-in.
        if request.session.get(SESSION_KEY) is None:
            remember_at_sign_in(sender=None, request=request, user=user)
        return request.session[SESSION_KEY]

    @staticmethod
    def _open(path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(static) or path in {reverse(name) for name in _OPEN_URLS}

    @staticmethod
    def _ask(request, user):
        if request.path.startswith("/api/"):
            detail = _("Sign in with your second factor on the site first.")
            answer = {"status": 403, "code": "second_factor_required", "detail": detail}
            return JsonResponse(answer, status=403)
        step = "twofactor:verify" if authenticator(user) is not None else "twofactor:enrol"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
