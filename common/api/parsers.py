"""The API's JSON parser, named in REST_FRAMEWORK."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's, but a body nested too deep for Python's decoder (a RecursionError, not the
    ValueError DRF turns into a 400) is refused like any other body it cannot read."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The request's JSON is nested too deeply.")) from None
