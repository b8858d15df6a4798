"""The debt classification as reported: frozen when close of day closes a month end, so the
report a fund sent up for a month stays what it was, beside the restated one that a later
back-dated event changes (`loans.arrears.classification`)."""

from datetime import date

from loans.arrears import GroupLine, classification
from loans.models import ClassificationReport
from loans.services.closing.days import is_month_end


def freeze_classification(day: date) -> None:
    """At the close of a month end, its classification per debt group, once (never rewritten).
    Call in the transaction that finishes the day, after its postings."""
    if not is_month_end(day) or ClassificationReport.objects.filter(month_end=day).exists():
        return
    ClassificationReport.objects.bulk_create(
        ClassificationReport(
            month_end=day, group=line.group, **dict(zip(GroupLine.FIGURES, line.figures(), strict=True))
        )
        for line in classification(day)
    )
