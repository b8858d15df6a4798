"""Bringing a fund in, for accountants: the templates, the upload and its dry run (the
cut-over report, or the rows refused), the commit by another accountant (four eyes) followed
while its task runs, and the list of imports. The work is `loans.services.onboarding`'s."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import run_service
from common.xlsx import workbook_bytes, xlsx_response
from fund.selectors import current_fund
from ledger.models import Account
from ledger.selectors import named_lines
from loans.forms import PortfolioImportForm, ReasonForm
from loans.models import Loan, PortfolioImport
from loans.report_sheets import merger_sheets
from loans.selectors.cut_over import CutOverReport
from loans.selectors.merger import DIMENSIONS, merger_report
from loans.selectors.reconciliation import reconciliation
from loans.services.onboarding import importing, undoing
from loans.services.onboarding.example import SOURCE, example_workbook, has_example
from loans.services.onboarding.workbook import Limits, template_bytes
from loans.services.onboarding.workbook import products as offered_products

VIEW = "loans.view_portfolioimport"
IMPORTS_PER_PAGE = 25
LOANS_PER_PAGE = 50


@login_required
@permission_required(VIEW, raise_exception=True)
def portfolio_imports(request):
    """The list of imports and, for who may check one, the upload."""
    can_check = request.user.has_perm(importing.PERMISSION)
    form = PortfolioImportForm(request.POST or None, request.FILES or None) if can_check else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data, upload = form.cleaned_data, form.cleaned_data["file"]
            batch = run_service(
                form,
                lambda: importing.check_portfolio(
                    actor=request.user,
                    file=upload,
                    file_name=upload.name,
                    source_fund=data["source_fund"],
                    capital_account=data["capital_account"],
                    limits=Limits.page(),
                ),
            )
            if batch is not None:
                return redirect("loans:portfolio_import", pk=batch.pk)
    imports = PortfolioImport.objects.select_related("checked_by", "committed_by")
    page = Paginator(imports, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "limits": Limits.page(),
        "example": has_example(),
        "source": SOURCE,
        "title": _("Bringing a fund in"),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "loans/onboarding/list.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def portfolio_template(request):
    return xlsx_response(template_bytes(offered_products()), "mau-dua-danh-muc-vao.xlsx")


@login_required
@permission_required(VIEW, raise_exception=True)
def portfolio_example(request):
    """The example workbook (a small portfolio to merge in), for a fund with the demo's products."""
    example = example_workbook(current_fund())
    if example is None:
        raise Http404
    return xlsx_response(example.getvalue(), f"vi-du-sap-nhap-{SOURCE}.xlsx")


@login_required
@permission_required(VIEW, raise_exception=True)
def portfolio_import(request, pk: int):
    batch = get_object_or_404(PortfolioImport.objects.select_related("checked_by", "committed_by"), pk=pk)
    report = CutOverReport.from_data(batch.report) if batch.report else None
    controls = report.controls if report else []
    names = {a.code: a.name for a in Account.objects.filter(code__in=[c.code for c in controls])}
    context = {
        "batch": batch,
        "report": report,
        "controls": [(line, names.get(line.code, "")) for line in controls],
        "title": str(batch),
        **_state(request, batch),
    }
    return render(request, "loans/onboarding/import.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def portfolio_merger_report(request, pk: int, xlsx: bool = False):
    """The board's report of a committed (or undone) import: its page, or its workbook."""
    batch = get_object_or_404(PortfolioImport, pk=pk, journal_entry__isnull=False)
    with translation.override("vi" if xlsx else translation.get_language()):  # the board's file in Vietnamese
        merger = merger_report(batch)
    names = {a.code: a.name for a in Account.objects.filter(code__in=[c.code for c in merger.controls])}
    if xlsx:
        return xlsx_response(workbook_bytes(*merger_sheets(merger, names)), f"sap-nhap-{batch.pk}.xlsx")
    context = {
        "batch": batch,
        "merger": merger,
        "controls": [(line, names.get(line.code, "")) for line in merger.controls],
        "dimensions": [(title, merger.by[name]) for name, title in DIMENSIONS],
        "title": _("Merger report: %(import)s") % {"import": batch},
    }
    return render(request, "loans/onboarding/merger_report.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def portfolio_progress(request, pk: int):
    """The import's state, for its page to poll while it is committed: the answer without the
    trigger stops the polling."""
    batch = get_object_or_404(PortfolioImport, pk=pk)
    return render(request, "loans/onboarding/_progress.html", {"batch": batch, **_state(request, batch)})


@login_required
@require_POST
def portfolio_commit(request, pk: int):
    batch = get_object_or_404(PortfolioImport, pk=pk)
    try:
        importing.commit_portfolio(actor=request.user, batch=batch)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("loans:portfolio_import", pk=batch.pk)


@login_required
@require_POST
def portfolio_undo(request, pk: int):
    batch = get_object_or_404(PortfolioImport, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect("loans:portfolio_import", pk=batch.pk)
    asked = {"actor": request.user, "batch": batch, "reason": form.cleaned_data["reason"]}
    try:
        if "confirm" not in request.POST:  # first what it will post, then the undo once confirmed
            entry = undoing.entry_to_undo(**asked)
            context = {"batch": batch, "form": form, "entry": entry, "lines": named_lines(entry.lines)}
            return render(request, "loans/onboarding/undo_confirm.html", context)
        undoing.undo_portfolio(**asked)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        done = _("The import is undone: its opening entry is reversed and its loans voided.")
        messages.success(request, done)
    return redirect("loans:portfolio_import", pk=batch.pk)


def _state(request, batch: PortfolioImport) -> dict:
    """What the import's progress block shows: who may commit it, why it was refused, and once
    committed the reconciliation at the cut-over and the loans it brought in."""
    user = request.user
    context = {
        "can_commit": batch.state == PortfolioImport.State.CHECKED
        and user.has_perm(importing.COMMIT_PERMISSION)
        and batch.checked_by_id != user.pk,
        "refusals": importing.refusals(batch),
        "max_errors": importing.MAX_ERRORS,
    }
    if batch.state == PortfolioImport.State.COMMITTED:
        loan_ids = list(batch.openings.values_list("loan_id", flat=True).distinct())
        may_undo = user.has_perm(importing.COMMIT_PERMISSION) and batch.committed_by_id != user.pk
        context["undo_problem"] = undoing.undo_problem(batch, loan_ids) if may_undo else None
        context["undo_form"] = ReasonForm() if may_undo and not context["undo_problem"] else None
        context["differing"] = [row for row in reconciliation(as_of=batch.cut_over) if row.difference]
        loans = (
            Loan.objects.filter(openings__batch=batch)
            .distinct()
            .select_related("contract", "borrower")
            .order_by("pk")
        )
        context["loans"] = Paginator(loans, LOANS_PER_PAGE).get_page(request.GET.get("page"))
    return context
