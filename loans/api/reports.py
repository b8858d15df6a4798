"""The loan reports as of a date through the API: arrears aging with PAR, the arrears list
(paged), debt classification and provisioning, the portfolio, what falls due in the next days,
the month-end trend and the recoveries of written-off debt. Each reads its filters with the
report page's own form (the same checks and messages: a date after the business date or before
the fund opened is a 400 on `as_of`), computes with the page's selectors (`loans.arrears`,
`loans.portfolio`, `loans.selectors.recoveries`), and is for whoever may see the reports
(`loans.view_reports`: fund staff, never a co-op user)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from common.api.errors import ErrorSerializer
from common.api.fields import RatioField, VNDField
from common.api.paging import PAGE_PARAMETERS, paged
from common.api.views import ApiView, filter_form, needs
from common.money import ZERO
from fund.models import Borrower
from fund.selectors import current_fund
from loans.arrears import (
    DEFAULT_SORT,
    GROUPS,
    SORTS,
    aging,
    arrears_list,
    debt_classification,
    trend,
)
from loans.portfolio import DIMENSIONS, EXPECTED_DAYS_MAX, Flow, expected, flows, holdings
from loans.selectors.recoveries import recoveries
from loans.views.reports import (
    AREA_MAX,
    DAYS_PAST_DUE_MAX,
    PERMISSION,
    ArrearsForm,
    LoanFilterForm,
    PortfolioForm,
    RecoveriesForm,
    ReportForm,
)

ERRORS = dict.fromkeys((400, 401, 403, 404, 429), ErrorSerializer)
PERIOD = {"from": "start"}  # the API's `from` is the period forms' `start`

# --- query strings: the pages' filters ----------------------------------------------------

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="YYYY-MM-DD, from the fund's opening to its business date; by default the business date.",
)
AS_OF_CLOSED = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="YYYY-MM-DD, from the fund's opening to its business date; by default the last day "
    "closed when its close summarised the portfolio (the page's default), else the business date.",
)
LOANS = [
    OpenApiParameter("product", int, description="Only this loan product's loans."),
    OpenApiParameter("borrower_type", enum=Borrower.Type.values, description="Only this type of borrowers'."),
]
FOLLOW_UP = [
    *LOANS,
    OpenApiParameter("officer", int, description="Only the loans this officer took the application of."),
    OpenApiParameter("area", description=f"Province, district or commune contains (at most {AREA_MAX})."),
]
FROM = OpenApiParameter(
    "from",
    OpenApiTypes.DATE,
    description="YYYY-MM-DD, the period's start; by default the first of the as_of month.",
)
ARREARS = [
    OpenApiParameter(
        "days_from", int, description=f"At least so many days past due (1–{DAYS_PAST_DUE_MAX})."
    ),
    OpenApiParameter("days_to", int, description=f"At most so many days past due (1–{DAYS_PAST_DUE_MAX})."),
    OpenApiParameter(
        "sort",
        enum=[f"{way}{name}" for name in SORTS for way in ("", "-")],
        description=f"The order, '-' first for descending; by default {DEFAULT_SORT}.",
    ),
]
DUE = [
    OpenApiParameter(
        "days",
        int,
        description=f"Falling due in so many days after as_of (1–{EXPECTED_DAYS_MAX}); by default 30.",
    ),
    OpenApiParameter("weekly", bool, description="By seven days from the day after as_of, not by due date."),
]


def _form(request, form_class, **kwargs):
    return filter_form(form_class, request, fund=current_fund(), **kwargs)


# --- what they answer ---------------------------------------------------------------------


class ArrearsFigures(serializers.Serializer):
    loans = serializers.IntegerField()
    outstanding = VNDField(help_text=_("Principal outstanding of these loans."))
    overdue_principal = VNDField()
    overdue_interest = VNDField()
    late_interest = VNDField(help_text=_("Late interest and interest on unpaid interest owed on the date."))
    overdue = VNDField()


class BucketSerializer(ArrearsFigures):
    first = serializers.IntegerField(help_text=_("Days past due from."))
    last = serializers.IntegerField(allow_null=True, help_text=_("Days past due up to (null: no end)."))
    label = serializers.CharField()


class ParSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text=_("More than so many days past due."))
    outstanding = VNDField()
    ratio = RatioField(help_text=_("Of the gross outstanding."))


def _par(par) -> list[dict]:
    return [{"days": days, "outstanding": outstanding, "ratio": ratio} for days, outstanding, ratio in par]


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    loans = serializers.IntegerField(help_text=_("Loans owing principal on the date."))
    gross_outstanding = VNDField()
    buckets = BucketSerializer(many=True)
    total = ArrearsFigures()
    par = ParSerializer(many=True)


class ArrearsLineSerializer(serializers.Serializer):
    loan = serializers.IntegerField(source="figures.loan_id")
    reference = serializers.CharField()
    borrower = serializers.CharField()
    borrower_type = serializers.ChoiceField(choices=Borrower.Type.choices)
    commune = serializers.CharField()
    district = serializers.CharField()
    phone = serializers.CharField()
    officer = serializers.CharField()
    product = serializers.CharField()
    outstanding = VNDField(source="figures.outstanding")
    overdue_principal = VNDField(source="figures.overdue_principal")
    overdue_interest = VNDField(source="figures.overdue_interest")
    late_interest = VNDField(source="figures.late_interest")
    overdue = VNDField(source="figures.overdue")
    days_past_due = serializers.IntegerField(source="figures.days")
    debt_group = serializers.IntegerField(source="figures.group")
    last_payment = serializers.DateField(allow_null=True)
    next_due_date = serializers.DateField(source="figures.next_due_date", allow_null=True)
    restructured = serializers.IntegerField(help_text=_("Times restructured."))


class GroupLineSerializer(serializers.Serializer):
    group = serializers.IntegerField(help_text=_("The debt group (0: all of them)."))
    loans = serializers.IntegerField()
    outstanding = VNDField()
    collateral = VNDField(help_text=_("Collateral value allowed against the specific provision."))
    specific_required = VNDField()
    specific_booked = VNDField()
    specific_difference = VNDField()
    general_required = VNDField()
    general_booked = VNDField()
    general_difference = VNDField()


class ClassificationSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    restated = GroupLineSerializer(many=True, help_text=_("As the stored rows now say."))
    restated_total = GroupLineSerializer()
    reported = GroupLineSerializer(
        many=True,
        allow_null=True,
        help_text=_("As frozen at the close of this month end (null: not a closed month end, or filtered)."),
    )
    reported_total = GroupLineSerializer(allow_null=True)
    differs = serializers.BooleanField(help_text=_("The restated figures differ from those reported."))


class LineSerializer(serializers.Serializer):
    label = serializers.CharField()
    loans = serializers.IntegerField()
    outstanding = VNDField()


class FlowSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("The product."))
    disbursed = VNDField()
    principal = VNDField(help_text=_("Principal collected."))
    interest = VNDField()
    late_interest = VNDField()
    collected = VNDField()


PortfolioBy = type(
    "PortfolioBy",
    (serializers.Serializer,),
    {name: LineSerializer(many=True, help_text=title) for name, title, _label in DIMENSIONS},
)


class PortfolioSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    start = serializers.DateField(help_text=_("The period's first day (disbursed and collected)."))
    loans = serializers.IntegerField()
    outstanding = VNDField()
    by = PortfolioBy()
    flows = FlowSerializer(many=True)
    flows_total = FlowSerializer()


class DueFigures(serializers.Serializer):
    principal = VNDField()
    interest = VNDField()
    total = VNDField()


class DueSerializer(DueFigures):
    first = serializers.DateField()
    last = serializers.DateField()
    loans = serializers.IntegerField()


class DueReportSerializer(DueFigures):
    as_of = serializers.DateField()
    days = serializers.IntegerField()
    weekly = serializers.BooleanField()
    periods = DueSerializer(many=True)


class RecoveryFigures(serializers.Serializer):
    principal = VNDField(help_text=_("Principal written off."))
    interest = VNDField(help_text=_("Interest written off."))
    recovered_in_period = VNDField(help_text=_("Recovered in the period, net of recoveries reversed in it."))
    recovered = VNDField(help_text=_("Recovered by the date, in all."))
    off_balance = VNDField(help_text=_("Still pursued off-balance on the date."))


class RecoveryLineSerializer(RecoveryFigures):
    loan = serializers.IntegerField(source="loan_id")
    reference = serializers.CharField()
    contract = serializers.CharField()
    borrower = serializers.CharField()
    written_off_on = serializers.DateField()
    tracked_until = serializers.DateField()


class RecoveriesSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    start = serializers.DateField(help_text=_("The period's first day (recovered in the period)."))
    lines = RecoveryLineSerializer(many=True)
    totals = RecoveryFigures()


class GroupFigures(serializers.Serializer):
    group = serializers.IntegerField()
    loans = serializers.IntegerField()
    outstanding = VNDField()


class MonthEndSerializer(serializers.Serializer):
    day = serializers.DateField()
    gross = VNDField()
    groups = GroupFigures(many=True)
    par = ParSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    points = MonthEndSerializer(many=True)


# --- the reports --------------------------------------------------------------------------


class Report(ApiView):
    permission_classes = [needs(PERMISSION)]


class AgingReport(Report):
    @extend_schema(parameters=[AS_OF, *LOANS], responses={200: AgingSerializer, **ERRORS})
    def get(self, request):
        """Loans in arrears by the fund's days-past-due buckets, and the portfolio at risk."""
        form = _form(request, ReportForm)
        report = aging(form.cleaned_data["as_of"], loans=form.loans())
        data = {
            "as_of": report.as_of,
            "loans": report.loans,
            "gross_outstanding": report.gross_outstanding,
            "buckets": report.buckets,
            "total": report.total,
            "par": _par(report.par),
        }
        return Response(AgingSerializer(data).data)


class ArrearsReport(Report):
    @extend_schema(
        parameters=[AS_OF, *FOLLOW_UP, *ARREARS, *PAGE_PARAMETERS],
        responses={200: paged(ArrearsLineSerializer), **ERRORS},
    )
    def get(self, request):
        """The loans in arrears on the date, with whom to call about each (paged)."""
        form = _form(request, ArrearsForm)
        sort = form.cleaned_data.get("sort") or DEFAULT_SORT
        lines = arrears_list(form.cleaned_data["as_of"], loans=form.loans(), sort=sort, **form.options())
        return self.paginate(lines, ArrearsLineSerializer)


class ClassificationReport(Report):
    @extend_schema(parameters=[AS_OF, *LOANS], responses={200: ClassificationSerializer, **ERRORS})
    def get(self, request):
        """Debt groups 1 to 5 with the provisions required and booked; at a closed month end, also
        as reported then (the whole portfolio's, so not with a filter)."""
        form = _form(request, ReportForm)
        report = debt_classification(form.cleaned_data["as_of"], loans=form.loans())
        return Response(ClassificationSerializer(report).data)


class PortfolioReport(Report):
    @extend_schema(
        parameters=[AS_OF_CLOSED, FROM, *FOLLOW_UP], responses={200: PortfolioSerializer, **ERRORS}
    )
    def get(self, request):
        """Principal outstanding on the date by product, borrower type, sector, district and term,
        and what was disbursed and collected in the period, by product."""
        form = _form(request, PortfolioForm, renamed=PERIOD)
        day, loans, start = form.cleaned_data["as_of"], form.loans(), form.options()["start"]
        held, moved = holdings(day, loans=loans), flows(start, day, loans=loans)
        data = {
            "as_of": day,
            "start": start,
            "loans": held.loans,
            "outstanding": held.outstanding,
            "by": held.by,
            "flows": moved,
            "flows_total": Flow.total(moved),
        }
        return Response(PortfolioSerializer(data).data)


class DueReport(Report):
    @extend_schema(
        parameters=[AS_OF_CLOSED, *FOLLOW_UP, *DUE], responses={200: DueReportSerializer, **ERRORS}
    )
    def get(self, request):
        """Principal and interest falling due in the days after the date, by the schedules in force
        on it, of the loans owing then (the portfolio page's "falling due")."""
        form = _form(request, PortfolioForm, renamed=PERIOD)
        day, options = form.cleaned_data["as_of"], form.options()
        due = expected(day, options["days"], form.loans(), weekly=options["weekly"])
        principal = sum((line.principal for line in due), ZERO)
        interest = sum((line.interest for line in due), ZERO)
        data = {
            "as_of": day,
            "days": options["days"],
            "weekly": options["weekly"],
            "periods": due,
            "principal": principal,
            "interest": interest,
            "total": principal + interest,
        }
        return Response(DueReportSerializer(data).data)


class TrendReport(Report):
    @extend_schema(parameters=[AS_OF, *FOLLOW_UP], responses={200: TrendSerializer, **ERRORS})
    def get(self, request):
        """Outstanding principal by debt group and the portfolio at risk at each of the last twelve
        month ends (the last point: the date), restated as the stored rows now say."""
        form = _form(request, LoanFilterForm)
        day = form.cleaned_data["as_of"]
        points = [
            {
                "day": point.day,
                "gross": point.gross,
                "groups": [
                    {"group": group, "loans": point.loans[group], "outstanding": point.outstanding[group]}
                    for group in GROUPS
                ],
                "par": _par(point.par),
            }
            for point in trend(day, loans=form.loans())
        ]
        return Response(TrendSerializer({"as_of": day, "points": points}).data)


class RecoveriesReport(Report):
    @extend_schema(parameters=[AS_OF, FROM, *LOANS], responses={200: RecoveriesSerializer, **ERRORS})
    def get(self, request):
        """Each loan written off by the date: what was written off, recovered in the period and in
        all, and what is still pursued off-balance (the recoveries report's page)."""
        form = _form(request, RecoveriesForm, renamed=PERIOD)
        day = form.cleaned_data["as_of"]
        data = {"as_of": day, **recoveries(start=form.options()["start"], end=day, loans=form.loans())}
        return Response(RecoveriesSerializer(data).data)
