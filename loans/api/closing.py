"""Close of day's runs, read through the API: what the runs page shows (`loans.selectors.closing`),
for whoever may close days."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from common.api.errors import ErrorSerializer
from common.api.paging import PAGE_PARAMETERS, paged
from common.api.views import ApiView, needs
from loans.models import CloseRun
from loans.selectors.closing import run_summaries
from loans.services.closing.days import PERMISSION

READ_ERRORS = dict.fromkeys((400, 401, 403, 404, 429), ErrorSerializer)


class CloseRunProgress(serializers.Serializer):
    chunks = serializers.IntegerField()
    chunks_done = serializers.IntegerField()
    loans = serializers.IntegerField(help_text=_("Loans closed in the chunks done."))
    open_failures = serializers.IntegerField(help_text=_("Loans that could not be closed, not yet retried."))
    postings = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Loans posted per step, and debt groups changed.")
    )


class CloseRunSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=CloseRun.State.choices)
    started_by = serializers.CharField(source="started_by.username")
    progress = serializers.SerializerMethodField()

    class Meta:
        model = CloseRun
        fields = [
            "id",
            "business_date",
            "until",
            "state",
            "full",
            "rebuild",
            "started_by",
            "started_at",
            "finished_at",
            "progress",
        ]

    @extend_schema_field(CloseRunProgress)
    def get_progress(self, run: CloseRun) -> dict:
        summary = self.context["summaries"][run.pk]
        return {
            "chunks": summary.chunks,
            "chunks_done": summary.done,
            "loans": summary.loans,
            "open_failures": summary.open_failures,
            "postings": dict(summary.counts),
        }


def _summaries(runs) -> dict:
    return {"summaries": {summary.run.pk: summary for summary in run_summaries(runs)}}


class CloseRuns(ApiView):
    permission_classes = [needs(PERMISSION)]

    @extend_schema(
        operation_id="close_runs_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paged(CloseRunSerializer), **READ_ERRORS},
    )
    def get(self, request):
        """Close of day's runs, the latest business date first."""
        return self.paginate(CloseRun.objects.select_related("started_by"), CloseRunSerializer, _summaries)


class CloseRunDetail(ApiView):
    permission_classes = [needs(PERMISSION)]

    @extend_schema(responses={200: CloseRunSerializer, **READ_ERRORS})
    def get(self, request, pk: int):
        """One run of close of day, with its progress."""
        run = get_object_or_404(CloseRun.objects.select_related("started_by"), pk=pk)
        return Response(CloseRunSerializer(run, context=_summaries([run])).data)
