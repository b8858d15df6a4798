"""The API's JSON parser, named in REST_FRAMEWORK."""

import json

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, but a body nested too deep for Python's decoder (a RecursionError, not the
    ValueError DRF turns into a 400) is refused like any other body it cannot read, and a body
    that is not JSON is refused in the request's language (DRF's message is English only)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The request's JSON is nested too deeply.")) from None
        except exceptions.ParseError as refused:
            if not isinstance(where := refused.__context__, json.JSONDecodeError):
                raise
            raise exceptions.ParseError(
                _("The request's body is not JSON that can be read (line %(line)s, column %(column)s).")
                % {"line": where.lineno, "column": where.colno}
            ) from None
