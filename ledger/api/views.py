"""The trial balance for a period (bảng cân đối số phát sinh) as of a date, as its page and
`manage.py report trial_balance` compute it (`selectors.period_trial_balance`), read with the
page's form, for whoever may read the journal."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from common.api.errors import ErrorSerializer
from common.api.fields import VNDField
from common.api.views import ApiView, filter_form, needs
from ledger import selectors
from ledger.forms import PeriodTrialBalanceForm
from ledger.models import AccountType

AMOUNTS = selectors.PeriodRow.AMOUNTS


def _amounts() -> dict:
    return {name: VNDField() for name in AMOUNTS}


PeriodAmounts = type("PeriodAmounts", (serializers.Serializer,), _amounts())


class RowSerializer(PeriodAmounts):
    code = serializers.CharField()
    name = serializers.CharField(help_text=_("In the request's language."))
    type = serializers.ChoiceField(choices=AccountType.choices)
    depth = serializers.IntegerField(
        help_text=_("0 for a top account; a parent's amounts are its leaves' sums.")
    )
    postable = serializers.BooleanField()


class SectionSerializer(serializers.Serializer):
    off_balance = serializers.BooleanField()
    rows = RowSerializer(many=True)
    totals = PeriodAmounts(help_text=_("Over the postable accounts."))
    balanced = serializers.BooleanField()


class TrialBalanceSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    balanced = serializers.BooleanField()
    sections = SectionSerializer(many=True)


class TrialBalance(ApiView):
    permission_classes = [needs("ledger.view_journalentry")]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="YYYY-MM-DD; by default the reporting date."
            ),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="YYYY-MM-DD; by default the first of the as_of month."
            ),
            OpenApiParameter("include_zero", bool, description="Also the accounts without postings."),
        ],
        responses={200: TrialBalanceSerializer, **dict.fromkeys((400, 401, 403, 429), ErrorSerializer)},
    )
    def get(self, request):
        """Each account's balance before the period, what was posted to it in the period and its
        balance at the end of `as_of`, on-balance and off-balance apart."""
        form = filter_form(PeriodTrialBalanceForm, request, renamed={"as_of": "date_to", "from": "date_from"})
        data = form.cleaned_data
        balance = selectors.period_trial_balance(
            start=data["date_from"], end=data["date_to"], include_zero=data.get("include_zero", False)
        )
        sections = [
            {"off_balance": s.off_balance, "rows": s.rows, "totals": s.totals, "balanced": s.balanced}
            for s in balance.sections
        ]
        body = {
            "start": balance.start,
            "end": balance.end,
            "balanced": balance.balanced,
            "sections": sections,
        }
        return Response(TrialBalanceSerializer(body).data)
