"""The report exports a user may see: its own; a superuser's, everyone's."""

from django.db.models import QuerySet

from loans.models import ExportJob


def visible_exports(user) -> QuerySet[ExportJob]:
    jobs = ExportJob.objects.select_related("requested_by")
    return jobs if user.is_superuser else jobs.filter(requested_by=user)
