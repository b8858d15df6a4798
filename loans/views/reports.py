"""The arrears aging, the arrears list and the debt classification and provisioning report as of
a date: a page with filters, and the same figures as .xlsx (`loans.report_sheets`)."""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.forms import DATE
from common.money import ZERO
from common.xlsx import workbook_bytes, xlsx_response
from fund.models import Borrower, Fund, LoanProduct, User
from fund.views.common import fund_required
from loans import report_sheets
from loans.arrears import (
    DEFAULT_SORT,
    SORTS,
    GroupLine,
    aging,
    arrears_list,
    as_of_problem,
    classification,
    reported,
)
from loans.services import exports

PERMISSION = "loans.view_reports"
CENT = Decimal("0.01")  # of the chart's width, in percent
LINES_PER_PAGE = 50
AREA_MAX = 100


class ReportForm(forms.Form):
    """As of which date, and of which loans; empty fields: the business date, every loan."""

    as_of = forms.DateField(label=gettext_lazy("As of"), widget=DATE, required=False)
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=LoanProduct.objects.order_by("name"), required=False
    )
    borrower_type = forms.ChoiceField(label=gettext_lazy("Borrower type"), required=False)

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fund = fund
        self.fields["borrower_type"].choices = [("", _("All")), *Borrower.Type.choices]
        self.fields["product"].empty_label = _("All")

    def clean_as_of(self):
        day = self.cleaned_data["as_of"] or self.fund.business_date
        if problem := as_of_problem(self.fund, day):
            raise forms.ValidationError(problem)
        return day

    def loans(self) -> Q | None:
        """The filter on the balances rows' loans (None: every loan)."""
        data, where = self.cleaned_data, Q()
        if data.get("product"):
            where &= Q(loan__product=data["product"])
        if data.get("borrower_type"):
            where &= Q(loan__borrower__type=data["borrower_type"])
        return where or None


class ArrearsForm(ReportForm):
    officer = forms.ModelChoiceField(
        label=gettext_lazy("Officer"),
        queryset=User.objects.filter(borrower__isnull=True, is_active=True).order_by("last_name", "username"),
        required=False,
    )
    area = forms.CharField(
        label=gettext_lazy("Province, district or commune"), max_length=AREA_MAX, required=False
    )
    sort = forms.ChoiceField(  # set by the list's column headers
        label=gettext_lazy("Sort by"),
        required=False,
        widget=forms.HiddenInput,
        choices=[(f"{way}{name}", f"{way}{name}") for name in SORTS for way in ("", "-")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].empty_label = _("All")
        self.fields["officer"].label_from_instance = lambda user: user.get_full_name() or user.username

    def loans(self) -> Q | None:
        data, where = self.cleaned_data, super().loans() or Q()
        if data.get("officer"):
            where &= Q(loan__created_by=data["officer"])
        if area := data.get("area", "").strip():
            where &= (
                Q(loan__borrower__province__icontains=area)
                | Q(loan__borrower__district__icontains=area)
                | Q(loan__borrower__commune__icontains=area)
            )
        return where or None


def _report(request, fund: Fund, name: str, form_class, title: str, build, *, xlsx: bool):
    """Parse the filters (none given: the business date, every loan); the page, with the form's
    errors and nothing computed when they are wrong, or the .xlsx of the same figures."""
    form = form_class(request.GET, fund=fund)
    context = {
        "form": form,
        "title": title,
        "business_date": fund.business_date,
        "xlsx_url": f"loans:{name}_xlsx",
    }
    if form.is_valid():
        day, loans = form.cleaned_data["as_of"], form.loans()
        if xlsx:
            return _xlsx(request, name, title, form, day, loans)
        context |= {"as_of": day, **build(request, form, day, loans)}
    return render(request, f"loans/reports/{name}.html", context)


def _xlsx(request, name: str, title: str, form: ReportForm, day, loans: Q | None):
    """The workbook now; or, when it has more rows than a request should write, a job writing
    it in a task, whose page shows its progress and then the download."""
    sheets_of, filename = report_sheets.REPORTS[name]
    filename = f"{filename}-{day:%Y-%m-%d}.xlsx"
    rows = exports.rows_for_task(name, day, loans)
    if rows is None:
        return xlsx_response(workbook_bytes(*sheets_of(day, loans)), filename)
    job = exports.request_export(
        actor=request.user,
        report=name,
        day=day,
        loans=loans,
        rows=rows,
        title=title,
        filters=_filters_text(form),
        filename=filename,
    )
    return redirect(job)


def _filters_text(form: ReportForm) -> str:
    """The filters as the user chose them, e.g. "As of: 31/03/2026; Product: Vốn lưu động"."""
    shown = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "") or field.widget.is_hidden:
            continue
        if isinstance(value, date):
            value = f"{value:%d/%m/%Y}"
        elif isinstance(field, forms.ModelChoiceField):
            value = field.label_from_instance(value)
        elif isinstance(field, forms.ChoiceField):
            value = dict(field.choices).get(value, value)
        shown.append(f"{field.label}: {value}")
    return "; ".join(shown)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@fund_required
def aging_report(request, fund: Fund, xlsx: bool = False):
    def build(request, form, day, loans):
        report = aging(day, loans=loans)
        return {"report": report, "chart": _chart(report.buckets)}

    return _report(request, fund, "aging", ReportForm, _("Arrears aging"), build, xlsx=xlsx)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@fund_required
def arrears_report(request, fund: Fund, xlsx: bool = False):
    def build(request, form, day, loans):
        lines = arrears_list(day, loans=loans, sort=form.cleaned_data.get("sort") or DEFAULT_SORT)
        page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
        sort = form.cleaned_data.get("sort") or DEFAULT_SORT
        return {"page": page, "count": len(lines), "sort": sort, "columns": _arrears_columns()}

    return _report(request, fund, "arrears", ArrearsForm, _("Arrears list"), build, xlsx=xlsx)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@fund_required
def classification_report(request, fund: Fund, xlsx: bool = False):
    def build(request, form, day, loans):
        restated = classification(day, loans=loans)
        # As reported is the fund's whole portfolio at a month's close: no filter applies to it.
        frozen = reported(day) if loans is None else None
        differs = frozen is not None and [line.figures() for line in frozen] != [
            line.figures() for line in restated
        ]
        return {
            "restated": restated,
            "restated_total": GroupLine.total(restated),
            "reported": frozen,
            "reported_total": GroupLine.total(frozen) if frozen else None,
            "differs": differs,
        }

    return _report(
        request,
        fund,
        "classification",
        ReportForm,
        _("Debt classification and provisioning"),
        build,
        xlsx=xlsx,
    )


def _arrears_columns() -> list[tuple[str, str, bool]]:
    """The arrears list's columns: the key it sorts by (empty: it does not), label, numeric."""
    return [
        ("loan", _("Loan"), False),
        ("borrower", _("Borrower"), False),
        ("area", _("Commune, district"), False),
        ("officer", _("Officer"), False),
        ("", _("Phone"), False),
        ("principal", _("Overdue principal"), True),
        ("interest", _("Overdue interest"), True),
        ("late", _("Late interest"), True),
        ("overdue", _("Total overdue"), True),
        ("days", _("Days past due"), True),
        ("", _("Debt group"), True),
        ("last_payment", _("Last payment"), False),
        ("next_due", _("Next due date"), False),
    ]


# The aging chart's geometry, in SVG units: a label, then the bars over 100 units of width.
LABEL_WIDTH, ROW_HEIGHT, BAR_HEIGHT = 20, 10, 6


def _chart(buckets) -> dict:
    """The aging chart: per bucket its overdue principal, interest and late interest, stacked,
    the widest bucket 100 units long (drawn as SVG by the template)."""
    widest = max((bucket.overdue for bucket in buckets), default=ZERO) or 1
    bars = []
    for row, bucket in enumerate(buckets):
        x, parts = Decimal(LABEL_WIDTH), []
        for name, value in (
            ("principal", bucket.overdue_principal),
            ("interest", bucket.overdue_interest),
            ("late", bucket.late_interest),
        ):
            width = (value * 100 / widest).quantize(CENT)
            parts.append({"name": name, "x": x, "width": width, "value": value})
            x += width
        top = row * ROW_HEIGHT
        bars.append({"bucket": bucket, "parts": parts, "y": top + 2, "text_y": top + 7})
    return {
        "bars": bars,
        "width": LABEL_WIDTH + 100,
        "height": len(buckets) * ROW_HEIGHT,
        "bar_height": BAR_HEIGHT,
    }
