"""The accountant's page of the audit trail: search it, page through it, export it."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from audit import reports, selectors
from audit.forms import TrailFilterForm
from common.paging import numbered
from common.views import bound_filters
from common.xlsx import workbook_bytes, xlsx_response

PAGE_SIZE = 50


def _filtered(request):
    filters, chosen = bound_filters(request, TrailFilterForm)
    entries = selectors.audit_entries(**{name: value for name, value in chosen.items() if value is not None})
    return filters, chosen, entries


@login_required
@permission_required("auditlog.view_logentry", raise_exception=True)
def trail(request):
    filters, _chosen, entries = _filtered(request)
    page = numbered(request, entries, size=PAGE_SIZE)
    rows = list(selectors.trail_rows(page))
    return render(request, "audit/trail.html", {"filters": filters, "page": page, "rows": rows})


@login_required
@permission_required("auditlog.view_logentry", raise_exception=True)
def trail_export(request):
    filters, chosen, entries = _filtered(request)
    shown = [filters[name] for name, value in chosen.items() if value not in (None, "")]
    described = ", ".join(f"{field.label}: {field.value()}" for field in shown) or _("every change")
    sheet = reports.trail_sheet(selectors.export_rows(entries), description=described)
    return xlsx_response(workbook_bytes(sheet), "nhat-ky-thay-doi.xlsx")
