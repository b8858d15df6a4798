"""Repayments imported from an .xlsx file: the upload (imported by a task, `common.jobs`) and the template."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.views import start_import_job
from common.xlsx import xlsx_response
from loans.forms import ImportForm
from loans.models import RepaymentImport
from loans.services.servicing.imports import template_workbook

PERMISSION = "loans.add_repaymentimport"


@login_required
def repayment_import(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    started = start_import_job(
        request,
        form,
        permission=PERMISSION,
        kind="repayments",
        title=_("Repayments import"),
        task="loans.import_repayments",
    )
    if started is not None:
        return started
    context = {"form": form, "recent": RepaymentImport.objects.select_related("imported_by")[:10]}
    return render(request, "loans/repayment_import.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("fund.view_fund", raise_exception=True)  # every staff role: accountants too
def import_template(request):
    return xlsx_response(template_workbook(), "mau-nhap-tra-no.xlsx")
