"""Repayments imported from an .xlsx file: the upload, the template, and the report of the import."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.shortcuts import render

from common.forms import run_service
from common.xlsx import xlsx_response
from loans.forms import ImportForm
from loans.models import RepaymentImport
from loans.services.servicing.imports import import_repayments, template_workbook


def _require_importer(user) -> None:
    if not user.has_perm("loans.add_repaymentimport"):
        raise PermissionDenied


@login_required
def repayment_import(request):
    _require_importer(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = run_service(
            form, lambda: import_repayments(actor=request.user, file=upload, file_name=upload.name)
        )
        if report is not None:
            # The report lists each posted row with its loan, contract and household: read them at once.
            prefetch_related_objects(report.posted, "loan__contract", "share__member")
    context = {
        "form": form,
        "report": report,
        "recent": RepaymentImport.objects.select_related("imported_by")[:10],
    }
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return render(request, "loans/repayment_import.html", context, status=status)


@login_required
@permission_required("fund.view_fund", raise_exception=True)  # every staff role: accountants too
def import_template(request):
    return xlsx_response(template_workbook(), "mau-nhap-tra-no.xlsx")
