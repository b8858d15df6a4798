"""The loan reports as of a date — arrears aging, arrears list, debt classification and
provisioning, portfolio, trend — a page with filters, and the same figures as .xlsx
(`loans.report_sheets`)."""

from datetime import date
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common import charts
from common.dates import format_date, format_month
from common.forms import DATE
from common.money import format_percent, format_vnd
from common.names import person_name
from common.paging import numbered
from common.xlsx import workbook_bytes, xlsx_response
from fund.models import Borrower, Fund, LoanProduct, User
from fund.views.common import fund_required
from ledger.forms import LedgerDetailForm
from ledger.selectors import ledger_line_count
from loans import report_sheets
from loans.arrears import (
    DEFAULT_SORT,
    GROUPS,
    SORTS,
    aging,
    arrears_list,
    as_of_problem,
    debt_classification,
    trend,
)
from loans.portfolio import DIMENSIONS, EXPECTED_DAYS_MAX, Flow, expected, flows, holdings
from loans.selectors.access import loan_officers
from loans.selectors.recoveries import recoveries
from loans.selectors.summaries import last_summarised, usable
from loans.services import exports

PERMISSION = "loans.view_reports"
LINES_PER_PAGE = 50
DEFAULT_DAYS = 30  # the portfolio's installments falling due
AREA_MAX = 100
DAYS_PAST_DUE_MAX = 36_500  # a hundred years: a bound, not a rule


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

    def options(self) -> dict:
        """What the report's sheets take beyond the date and the loans (`report_sheets.REPORTS`)."""
        return {}


class LoanFilterForm(ReportForm):
    """The filters of the reports that follow loans up: also by officer and by area."""

    officer = forms.ModelChoiceField(  # who can be one: set as the form is made (`loan_officers`)
        label=gettext_lazy("Officer"), queryset=User.objects.none(), required=False
    )
    area = forms.CharField(
        label=gettext_lazy("Province, district or commune"), max_length=AREA_MAX, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = loan_officers()
        self.fields["officer"].empty_label = _("All")
        self.fields["officer"].label_from_instance = person_name

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


class ArrearsForm(LoanFilterForm):
    days_from = forms.IntegerField(
        label=gettext_lazy("Days past due from"), min_value=1, max_value=DAYS_PAST_DUE_MAX, required=False
    )
    days_to = forms.IntegerField(
        label=gettext_lazy("Days past due up to"), min_value=1, max_value=DAYS_PAST_DUE_MAX, required=False
    )
    sort = forms.ChoiceField(  # set by the list's column headers
        label=gettext_lazy("Sort by"),
        required=False,
        widget=forms.HiddenInput,
        choices=[(f"{way}{name}", f"{way}{name}") for name in SORTS for way in ("", "-")],
    )

    def clean(self):
        data = super().clean()
        first, last = data.get("days_from"), data.get("days_to")
        if first is not None and last is not None and last < first:
            self.add_error("days_to", _("The last day past due is before the first."))
        return data

    def options(self) -> dict:
        first, last = self.cleaned_data.get("days_from"), self.cleaned_data.get("days_to")
        if first is None and last is None:
            return {}
        return {"days": (first or 1, last)}


def clean_start(form: ReportForm, data: dict) -> dict:
    """A period report's start: by default the first of the date's month; not after the date,
    and a date the fund's books hold."""
    day = data.get("as_of")
    if day is not None:
        start = data["start"] = data.get("start") or day.replace(day=1)
        if start > day:
            form.add_error("start", _("The period starts after the date of the report."))
        elif problem := as_of_problem(form.fund, start):
            form.add_error("start", problem)
    return data


class RecoveriesForm(ReportForm):
    start = forms.DateField(
        label=gettext_lazy("Recovered from"),
        widget=DATE,
        required=False,
        help_text=gettext_lazy("Empty: the first day of the month of the date."),
    )

    def clean(self):
        return clean_start(self, super().clean())

    def options(self) -> dict:
        return {"start": self.cleaned_data["start"]}


class PortfolioForm(LoanFilterForm):
    start = forms.DateField(
        label=gettext_lazy("Disbursed and collected from"),
        widget=DATE,
        required=False,
        help_text=gettext_lazy("Empty: the first day of the month of the date."),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Falling due in the next (days)"),
        min_value=1,
        max_value=EXPECTED_DAYS_MAX,
        required=False,
        help_text=gettext_lazy("Empty: 30."),
    )
    weekly = forms.BooleanField(label=gettext_lazy("Falling due by week"), required=False)

    at_close = False  # the date is the last day closed, its summary usable: none was chosen

    def clean_as_of(self):
        """No date chosen: the last day closed, summed by its close (`last_summarised`), as a
        fund reports its portfolio; the business date, not closed yet, when chosen (or without
        a summary)."""
        if not self.data.get("as_of") and (day := last_summarised(self.fund.business_date)):
            self.at_close = True
            return day
        return super().clean_as_of()

    def clean(self):
        return clean_start(self, super().clean())

    def options(self) -> dict:
        data = self.cleaned_data
        return {"start": data["start"], "days": data.get("days") or DEFAULT_DAYS, "weekly": data["weekly"]}


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
    if not form.is_valid():  # 400, as the ledger's reports: a script asking for the .xlsx gets none
        return render(request, f"loans/reports/{name}.html", context, status=400)
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
        return xlsx_response(workbook_bytes(*sheets_of(day, loans, **form.options())), filename)
    job = exports.request_export(
        actor=request.user,
        report=name,
        day=day,
        loans=loans,
        options=form.options(),
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
            value = format_date(value)
        elif isinstance(field, forms.ModelChoiceField):
            value = field.label_from_instance(value)
        elif isinstance(field, forms.ChoiceField):
            value = dict(field.choices).get(value, value)
        shown.append(f"{field.label}: {value}")
    return "; ".join(shown)


@login_required
@permission_required([PERMISSION, "ledger.export_ledger"], raise_exception=True)
def general_ledger_export(request):
    """An account's ledger too long to write while the browser waits (its page's export sends
    it here): a job writing it in a task, as the reports' long exports."""
    form = LedgerDetailForm(request.GET or None)
    if not form.is_valid():
        return redirect(f"{reverse('ledger:ledger_detail')}?{request.GET.urlencode()}")
    code, start, end = (form.cleaned_data[name] for name in ("account", "date_from", "date_to"))
    job = exports.request_export(
        actor=request.user,
        report="general_ledger",
        day=end,
        loans=None,
        options={"account": code, "start": start.isoformat()},
        rows=ledger_line_count(code=code, date_from=start, date_to=end),
        title=_("General ledger"),
        filters=f"{form.fields['account'].label}: {code}; {format_date(start)} – {format_date(end)}",
        filename=f"so-cai-{code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
    )
    return redirect(job)


def report_view(name: str, form_class, title):
    """Make `build(request, form, day, loans)` (the page's figures from valid filters) the view
    of report `name`, its page and its .xlsx, for whoever may see the reports."""

    def view_of(build):
        @login_required
        @permission_required(PERMISSION, raise_exception=True)
        @fund_required
        @wraps(build)
        def view(request, fund: Fund, xlsx: bool = False):
            return _report(request, fund, name, form_class, str(title), build, xlsx=xlsx)

        return view

    return view_of


@report_view("aging", ReportForm, gettext_lazy("Arrears aging"))
def aging_report(request, form, day, loans):
    report = aging(day, loans=loans)
    chart = charts.stacked_bars(
        _("Overdue amounts by days past due"),
        [
            charts.Series("principal", _("Overdue principal")),
            charts.Series("interest", _("Overdue interest")),
            charts.Series("late", _("Late interest")),
        ],
        [
            (bucket.label, (bucket.overdue_principal, bucket.overdue_interest, bucket.late_interest))
            for bucket in report.buckets
        ],
        format=format_vnd,
    )
    return {"report": report, "chart": chart}


@report_view("arrears", ArrearsForm, gettext_lazy("Arrears list"))
def arrears_report(request, form, day, loans):
    sort = form.cleaned_data.get("sort") or DEFAULT_SORT
    # Counted, sorted and paged in the database; only the page's loans are computed.
    page = numbered(request, arrears_list(day, loans=loans, sort=sort, **form.options()), size=LINES_PER_PAGE)
    return {"page": page, "count": page.paginator.count, "sort": sort, "columns": _arrears_columns()}


@report_view("classification", ReportForm, gettext_lazy("Debt classification and provisioning"))
def classification_report(request, form, day, loans):
    report = debt_classification(day, loans=loans)
    return {
        "restated": report.restated,
        "restated_total": report.restated_total,
        "reported": report.reported,
        "reported_total": report.reported_total,
        "differs": report.differs,
    }


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


@report_view("portfolio", PortfolioForm, gettext_lazy("Portfolio"))
def portfolio_report(request, form, day, loans):
    options, summarised = form.options(), form.at_close or usable(day)
    held = holdings(day, loans=loans, summarised=summarised)
    moved = flows(options["start"], day, loans=loans)
    due = expected(day, options["days"], loans, weekly=options["weekly"], summarised=summarised)
    outstanding = [charts.Series("outstanding", _("Outstanding principal"))]
    return {
        "at_close": form.at_close,
        "holdings": held,
        "dimensions": [
            (
                title,
                held.by[name],
                charts.stacked_bars(
                    title,
                    outstanding,
                    [(str(line.label), (line.outstanding,)) for line in held.by[name]],
                    format=format_vnd,
                    label_width=charts.LABEL * 2,
                ),
            )
            for name, title, _label in DIMENSIONS
        ],
        "start": options["start"],
        "flows": moved,
        "flows_total": Flow.total(moved),
        "days": options["days"],
        "due": due,
        "due_total": sum((line.total for line in due), start=0),
        "due_chart": charts.by_category(
            _("Falling due"),
            [charts.Series("principal", _("Principal")), charts.Series("interest", _("Interest"))],
            [line.label for line in due],
            [(line.principal, line.interest) for line in due],
            format=format_vnd,
        ),
    }


@report_view("trend", LoanFilterForm, gettext_lazy("Month-end trend"))
def trend_report(request, form, day, loans):
    return trend_context(trend(day, loans=loans))


def trend_context(points) -> dict:
    """The trend's table and charts (the trend page)."""
    par_days = [days for days, _outstanding, _ratio in points[-1].par] if points else []
    return {
        "points": points,
        "groups": list(GROUPS),
        "par_days": par_days,
        "groups_chart": groups_chart(points),
        "par_chart": charts.by_category(
            _("Portfolio at risk"),
            [charts.Series(f"par{days}", f"PAR{days}") for days in par_days],
            _months(points),
            [[ratio for _days, _outstanding, ratio in point.par] for point in points],
            lines=True,
            format=format_percent,
        ),
    }


def groups_chart(points):
    """Outstanding principal by debt group at each point (the trend page, the home page)."""
    return charts.by_category(
        _("Outstanding principal by debt group"),
        [charts.Series(f"g{group}", _("Group %(group)s") % {"group": group}) for group in GROUPS],
        _months(points),
        [[point.outstanding[group] for group in GROUPS] for point in points],
        format=format_vnd,
    )


def _months(points) -> list[str]:
    return [format_month(point.day) for point in points]


@report_view("recoveries", RecoveriesForm, gettext_lazy("Recoveries of written-off debt"))
def recoveries_report(request, form, day, loans):
    return recoveries(start=form.cleaned_data["start"], end=day, loans=loans)
