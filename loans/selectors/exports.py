"""The report exports a user may see: its own; a superuser's, everyone's."""

from django.db.models import QuerySet

from loans.models import ExportJob


def visible_exports(user) -> QuerySet[ExportJob]:
    return ExportJob.visible_to(user)
