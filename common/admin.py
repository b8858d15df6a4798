"""Admin pieces every app uses, and the site's pages of other apps made to refuse bad input."""

from celery.schedules import ParseException
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as celery_beat_admin
from django_celery_beat.models import CrontabSchedule


class ReadOnly:
    """An admin (or inline) that shows rows and never writes them: money records are written by
    the services only, and corrected by new records, never edited. Without the add permission
    an inline shows no blank rows, so no `extra = 0` is needed."""

    def get_readonly_fields(self, request, obj=None):
        # Every field shown, so no `readonly_fields` to keep in step with `fields`: the form is
        # built before the permissions count, and a field the model does not let a form edit (a
        # creation time) is shown only as a read-only one.
        return self.fields or ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# django-celery-beat's crontab page, shown again with a field its validators refused (a minute of
# -1): the schedule's description parses the refused value, and celery's parser raises an error
# the description does not catch (a 500 in place of the field's message).
admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(celery_beat_admin.CrontabScheduleAdmin):
    @admin.display(description=_("Human readable"))
    def human_readable(self, schedule: CrontabSchedule) -> str:
        try:
            return schedule.human_readable
        except ParseException:
            return ""
