"""Reads of the audit trail: the search the accountant's page and its .xlsx share."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.registry import FOLLOWED
from common.querysets import filter_given

# auditlog's own words for its actions, in the fund's languages.
ACTIONS = {
    LogEntry.Action.CREATE: gettext_lazy("created"),
    LogEntry.Action.UPDATE: gettext_lazy("changed"),
    LogEntry.Action.DELETE: gettext_lazy("deleted"),
}


def followed_models() -> list[tuple[str, str]]:
    """(label, name) of every model the trail follows, by name."""
    models = [(label, str(apps.get_model(label)._meta.verbose_name_plural)) for label in FOLLOWED]
    return sorted(models, key=lambda pair: pair[1].casefold())


def audit_entries(
    *,
    model: str = "",
    record: str = "",
    user: str = "",
    action: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[LogEntry]:
    """The trail, newest first: of one kind of record (`model`, an app label), records whose
    id is or whose name contains `record`, changed by users whose username contains `user`,
    between two dates (the fund's time zone) inclusive."""
    entries = LogEntry.objects.select_related("content_type", "actor").order_by("-timestamp", "-pk")
    if model:
        entries = entries.filter(content_type=ContentType.objects.get_for_model(apps.get_model(model)))
    if record:
        matches = Q(object_repr__icontains=record)
        if record.isdigit():
            matches |= Q(object_pk=record)
        entries = entries.filter(matches)
    return filter_given(
        entries,
        actor__username__icontains=user,
        action=action,
        timestamp__date__gte=date_from,
        timestamp__date__lte=date_to,
    )


@dataclass(frozen=True)
class Change:
    name: str  # the field's name in the code
    field: str  # as its form names it
    before: str
    after: str


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return name


def _shown(field, value) -> str:
    if isinstance(value, list | dict):  # a JSON field's value (aging buckets, an allocation order)
        return str(value)
    choices = dict(getattr(field, "choices", None) or ())
    return str(choices.get(value, value)) if value is not None else ""


def changes(entry: LogEntry) -> list[Change]:
    """Each field the entry changed, named as its form names it, with its value before and
    after; a many-to-many field's related records as added or removed."""
    model = entry.content_type.model_class()
    found = []
    for name, values in (entry.changes_dict or {}).items():
        label = _label(model, name)
        if isinstance(values, dict):  # many-to-many: {"type": "m2m", "operation": ..., "objects": [...]}
            objects = ", ".join(values.get("objects", []))
            added = values.get("operation") == "add"
            found.append(Change(name, label, "" if added else objects, objects if added else ""))
            continue
        try:
            field = model._meta.get_field(name) if model else None
        except FieldDoesNotExist:
            field = None
        before, after = (_shown(field, value) for value in values)
        found.append(
            Change(name, label, "" if before == "None" else before, "" if after == "None" else after)
        )
    return found


@dataclass(frozen=True)
class TrailRow:
    entry: LogEntry
    who: str
    action: str
    kind: str
    changes: list[Change]  # at least one, blank for a change that names no field (a deletion)


def trail_rows(entries: Iterable[LogEntry]) -> Iterator[TrailRow]:
    for entry in entries:
        model = entry.content_type.model_class()
        yield TrailRow(
            entry=entry,
            who=entry.actor.username if entry.actor else entry.actor_email or _("(system)"),
            action=str(ACTIONS.get(entry.action, entry.action)),
            kind=str(model._meta.verbose_name) if model else entry.content_type.model,
            changes=changes(entry) or [Change("", "", "", "")],
        )


def export_rows(entries: QuerySet[LogEntry]) -> Iterator[tuple]:
    """One row per field changed."""
    for row in trail_rows(entries.iterator(chunk_size=2000)):
        entry = row.entry
        when = timezone.localtime(entry.timestamp).replace(tzinfo=None, microsecond=0)
        address = entry.remote_addr or ""
        head = (when, row.who, address, row.action, row.kind, entry.object_pk, entry.object_repr)
        for change in row.changes:
            yield (*head, change.field, change.before, change.after)
