"""Every API error in one JSON shape (`ErrorSerializer`):

    {"status": 400, "code": "invalid", "detail": "…", "fields": {"amount": ["…"]}}

`fields` names each refused input and why, in the request's language: a service's
`ValidationError` field by field (`non_field_errors` for the whole request), or a serializer's.
A service's `PermissionDenied` keeps its message.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field": [...], "shares.0.amount": [...]}`."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = NON_FIELD if name == NON_FIELD_ERRORS else str(name)
            for inner, messages in _flatten(value, f"{prefix}{key}.").items():
                flat.setdefault(inner, []).extend(messages)
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            for inner, messages in _flatten(value, f"{prefix}{index}.").items():
                flat.setdefault(inner, []).extend(messages)
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix.rstrip(".") or NON_FIELD: [str(message) for message in messages]}


def _service_fields(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            NON_FIELD if field == NON_FIELD_ERRORS else field: [m for e in errors for m in e.messages]
            for field, errors in error.error_dict.items()
        }
    return {NON_FIELD: list(error.messages)}


def body(status_code: int, code: str, detail: str, fields: dict | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "fields": fields or {}}


def exception_handler(exc, context):
    """DRF's `EXCEPTION_HANDLER`: the one shape for every error an API view raises."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_service_fields(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        data = body(
            exc.status_code, "invalid", _("Some of what was sent is not valid."), _flatten(exc.detail)
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = detail.code if isinstance(detail, exceptions.ErrorDetail) else exc.default_code
        data = body(exc.status_code, code, str(detail))
    return Response(data, status=exc.status_code, headers=headers)
