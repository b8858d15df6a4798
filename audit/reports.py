"""The audit trail as .xlsx: one row per field changed."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from common.xlsx import Column, Sheet


def trail_sheet(rows: Iterable[tuple], *, description: str) -> Sheet:
    columns = [
        Column(_("When"), "datetime"),
        Column(_("User"), "text", 16),
        Column(_("Address"), "text", 16),
        Column(_("Action"), "text", 10),
        Column(_("Kind of record"), "text", 18),
        Column(_("Record id"), "text", 10),
        Column(_("Record"), "text", 30),
        Column(_("Field"), "text", 20),
        Column(_("Before"), "text", 30),
        Column(_("After"), "text", 30),
    ]
    return Sheet(title=_("Audit trail"), columns=columns, rows=rows, preamble=[_("Audit trail"), description])
