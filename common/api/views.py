"""The base of every API view: the request's language, paging, and a JSON 404 for unknown paths."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.views import APIView

from common.api.paging import Pages

_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def requested_language(request) -> str | None:
    """The first language of Accept-Language the site speaks (`vi-VN` counts as `vi`)."""
    for code, _quality in translation.trans_real.parse_accept_lang_header(
        request.headers.get("Accept-Language", "")
    ):
        base = code.split("-")[0].lower()
        if base in _LANGUAGES:
            return base
    return None


class ApiView(APIView):
    """Pages follow the user's language switch; a machine says its language with Accept-Language,
    and its messages come back in it (Vietnamese when it names none the site speaks)."""

    def initial(self, request, *args, **kwargs):
        language = requested_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Language"] = translation.get_language()
        response.setdefault("Vary", "Accept-Language")
        return response

    def paginate(self, rows, serializer_class, context=None):
        """One page of `rows` (a queryset or list), serialized, with the count and the links;
        `context(page)` adds what the serializer needs of the page's rows."""
        paginator = Pages()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        extra = context(page) if context else {}
        data = serializer_class(page, many=True, context={"request": self.request, **extra}).data
        return paginator.get_paginated_response(data)


class UnknownPath(ApiView):
    """Any path under the API that names nothing: the same JSON 404 as an unknown id."""

    permission_classes = []
    schema = None

    def nothing_here(self, request, *args, **kwargs):
        raise exceptions.NotFound(_("There is no such address in the API."))

    get = post = put = patch = delete = nothing_here


def filter_form(form_class, request, *, renamed: dict[str, str] | None = None, **kwargs):
    """A page's filter form read from the query string (so the API refuses what the page refuses,
    with its messages): what it refuses is a 400 field by field. `renamed` maps the API's names of
    parameters to the form's (`{"from": "start"}`), and the form's errors back."""
    renamed = renamed or {}
    data = {renamed.get(name, name): value for name, value in request.query_params.items()}
    form = form_class(data, **kwargs)
    if not form.is_valid():
        back = {field: name for name, field in renamed.items()}
        raise exceptions.ValidationError(
            {back.get(name, name): errors for name, errors in form.errors.items()}
        )
    return form


def needs(*perms: str, any_of: bool = False) -> type:
    """A permission class: the user holds every one of `perms` (a role's, see each app's roles.py),
    or with `any_of` one of them."""

    class Needs(permissions.BasePermission):
        message = _("Your role does not allow this. Ask the fund's administrator if you need it.")

        def has_permission(self, request, view) -> bool:
            user = request.user
            if not user.is_authenticated:
                return False
            return any(map(user.has_perm, perms)) if any_of else user.has_perms(perms)

    return Needs
