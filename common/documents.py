"""What every document the fund signs carries, whatever it is written to (.xlsx or a printed
page): the heading — the fund's name, the title, the period or date it is as of, the business
date — and, at the end, the date line ("Thái Bình, ngày 31 tháng 01 năm 2026") above the
signature block of the people who sign it.

The fund's name, its place and business date come from `settings.DOCUMENT_ISSUER`, a function
returning an `Issuer` (`fund.documents.issuer`): the apps below the fund (the ledger) write
headed documents without importing it.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.dates import format_date


@dataclass(frozen=True)
class Issuer:
    name: str = ""
    place: str = ""  # where the fund signs: its province
    business_date: dt.date | None = None


def issuer() -> Issuer:
    path = getattr(settings, "DOCUMENT_ISSUER", "")
    return import_string(path)() if path else Issuer()


@dataclass(frozen=True)
class Heading:
    """The lines above a table: the fund (with the form's code on the right, for a Circular 200
    form), the title, then the period, the business date and notes."""

    fund: str
    title: str
    lines: Sequence[str] = ()
    form: str = ""


def as_of_line(day: dt.date) -> str:
    return _("As of %(date)s") % {"date": format_date(day)}


def period_line(start: dt.date, end: dt.date) -> str:
    return _("From %(start)s to %(end)s") % {"start": format_date(start), "end": format_date(end)}


def heading(
    title: str,
    *,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    notes: Sequence[str] = (),
    form: str = "",
    business_date: bool = True,
) -> Heading:
    """A heading for the fund's document: as of a date, or for the period `start`..`as_of`;
    the business date follows the date on the same line (a report as of a past date says what
    the books' day was when it was made)."""
    fund = issuer()
    when = ""
    if as_of is not None:
        when = period_line(start, as_of) if start is not None else as_of_line(as_of)
    if business_date and fund.business_date is not None:
        day = _("business date %(date)s") % {"date": format_date(fund.business_date)}
        when = f"{when} ({day})" if when else day[:1].upper() + day[1:]
    return Heading(fund.name, title, [line for line in (when, *notes) if line], form)


# --- the date line and the signature block -------------------------------------------------

SIGNATURE = gettext_noop("(Signature, full name)")
SEALED = gettext_noop("(Signature, full name, seal)")

# Who signs each kind of document, with what each writes under the title; Vietnamese forms
# ask the director (and the fund's representative) for the seal too.
ROLES = {
    "report": [
        (gettext_noop("Prepared by"), SIGNATURE),
        (gettext_noop("Chief accountant"), SIGNATURE),
        (gettext_noop("Director"), SEALED),
    ],
    "appraisal": [(gettext_noop("Appraiser"), SIGNATURE), (gettext_noop("Approved by"), SIGNATURE)],
    "statement": [
        (gettext_noop("For the borrower"), SEALED),
        (gettext_noop("For the fund"), SEALED),
    ],
}


@dataclass(frozen=True)
class Signatures:
    date_line: str
    roles: Sequence[tuple[str, str]] = field(default_factory=list)  # (title, what is written under it)


def date_line(place: str, day: dt.date | None) -> str:
    """ "Thái Bình, ngày 31 tháng 01 năm 2026"; dots to fill in by hand when there is no date."""
    parts = (
        {"day": f"{day:%d}", "month": f"{day:%m}", "year": f"{day:%Y}"}
        if day
        else {"day": "…", "month": "…", "year": "…"}
    )
    return _("%(place)s, day %(day)s month %(month)s year %(year)s") % {"place": place or "…", **parts}


def signatures(kind: str, *, on: dt.date | None = None) -> Signatures:
    """The block that ends a document of `kind` ("report", "appraisal", "statement"), dated `on`
    (default: the fund's business date), in the active language."""
    fund = issuer()
    return Signatures(
        date_line(fund.place, on or fund.business_date),
        [(_(title), _(caption)) for title, caption in ROLES[kind]],
    )
