"""Reads of the fund's records that pages, services and other apps share.

Borrowers are always read through `visible_borrowers(user)`: a co-op user sees its own
borrower only, so anyone else's is simply not found (a 404 on a page).
"""

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import format_date
from common.documents import Issuer
from common.money import amount_of, format_vnd
from common.querysets import filter_given
from fund.models import (
    ApiToken,
    AuthorityLevel,
    Borrower,
    BorrowerDocument,
    CapitalReceipt,
    CapitalSource,
    Fund,
    HouseholdMember,
    LoanProduct,
    NonWorkingDay,
    User,
)
from fund.models.tokens import key_hash
from fund.roles import COOP_USER


class FundNotSetUp(Fund.DoesNotExist):
    """The installation has no fund yet (catching `Fund.DoesNotExist` catches this too)."""


# --- the fund ----------------------------------------------------------------------------


def fund_or_none() -> Fund | None:
    """The fund whose books this installation keeps, or None before it is set up: for pages and
    checks that do without it (nothing lent yet, no figures); what needs it calls `current_fund`."""
    fund = Fund.objects.first()
    if fund is not None:
        _calendar.seen(fund.calendar_token)
    return fund


def current_fund() -> Fund:
    """The fund whose books this installation keeps."""
    fund = fund_or_none()
    if fund is None:
        raise FundNotSetUp(_("The fund is not set up yet. An accountant sets it up on the Fund page."))
    return fund


def opening_date() -> dt.date | None:
    """The fund's opening date; None before the fund is set up."""
    return Fund.objects.values_list("opened_on", flat=True).first()


def business_date() -> dt.date:
    """The date every transaction's value date defaults to."""
    return current_fund().business_date


def value_date_problem(day: dt.date, *, fund: Fund | None = None) -> str | None:
    """Why `day` cannot be a transaction's value date, or None: every value date lies between the
    fund's opening date and its business date. (The ledger refuses dates in a closed month.)

    The one check for every money event; the ledger's manual entries reach it through the
    LEDGER_VALUE_DATE_CHECK setting, as the ledger imports no other app.
    """
    fund = fund or fund_or_none()
    if fund is None:  # nothing is set up yet: only the calendar bounds the date
        latest, earliest = timezone.localdate(), None
    else:
        latest, earliest = fund.business_date, fund.opened_on
    if day > latest:
        return _("A value date is at the latest the business date (%(date)s).") % {
            "date": format_date(latest)
        }
    if earliest is not None and day < earliest:
        message = _("A value date is not before the fund's opening date (%(date)s).")
        return message % {"date": format_date(earliest)}
    return None


# --- the calendar --------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDays:
    """The fund's days off: weekly rest days (`date.weekday()` numbers) and non-working dates."""

    rest_weekdays: frozenset[int]
    holidays: frozenset[dt.date]


NO_FUND_CALENDAR = CalendarDays(frozenset({6}), frozenset())


class _CalendarCache:
    """The calendar, kept in this process between uses: every replay of a loan needs it, and
    reading it each time would add queries to every repayment and page.

    It is kept with the fund's `calendar_token`, which every change of the calendar renews.
    Wherever the fund row is read anyway (`current_fund()`), the token read is compared, at no
    cost; when the fund was not read for `RECHECK_SECONDS`, the token is read once before the
    calendar is used again (one short query, however many loans in between). A change in this
    process forgets it at once; one in another process is seen at the next comparison.
    """

    RECHECK_SECONDS = 30.0

    def __init__(self):
        self.forget()

    def forget(self) -> None:
        self.token = self.days = None
        self.checked_at = float("-inf")

    def seen(self, token) -> None:
        if token != self.token:
            self.days = None
        self.token, self.checked_at = token, time.monotonic()

    def get(self) -> CalendarDays:
        if time.monotonic() - self.checked_at > self.RECHECK_SECONDS:
            token = Fund.objects.values_list("calendar_token", flat=True).first()
            if token is None:
                return NO_FUND_CALENDAR
            self.seen(token)
        if self.days is None:
            # After the token: a change in between is then seen at the next comparison.
            rest = Fund.objects.values_list("rest_weekdays", flat=True).first()
            self.days = CalendarDays(
                frozenset(rest), frozenset(NonWorkingDay.objects.values_list("date", flat=True))
            )
        return self.days


_calendar = _CalendarCache()


def calendar_days() -> CalendarDays:
    """The fund's weekly rest days and non-working days (kept in memory: `_CalendarCache`)."""
    return _calendar.get()


def forget_calendar() -> None:
    """Read the calendar again when it is next used (it changed, or a test starts afresh)."""
    _calendar.forget()


def non_working_days(*, year: int):
    """The non-working days of `year`, in date order, with who added them."""
    return NonWorkingDay.objects.filter(date__year=year).select_related("added_by")


def exposure_limit() -> Decimal:
    """The most one borrower may owe the fund, in whole đồng."""
    return current_fund().exposure_limit


@dataclass(frozen=True)
class Authority:
    """Who may approve how much: the fund's authority levels, lowest limit first (the model's
    ordering), and those one user holds. The one rule: a level covers an amount up to its
    limit (`AuthorityLevel.covers`); the lowest covering level is the one a decision needs, and
    a user may decide when it holds any covering level. Read once, it answers for a whole list."""

    levels: tuple[AuthorityLevel, ...]
    held: frozenset[int] = frozenset()

    def covering(self, amount: Decimal) -> list[AuthorityLevel]:
        amount = amount_of(amount)
        return [level for level in self.levels if level.covers(amount)]

    def level_needed(self, amount: Decimal) -> AuthorityLevel | None:
        """The lowest level covering the amount; None when no level does."""
        return next(iter(self.covering(amount)), None)

    def covers(self, amount: Decimal) -> bool:
        """Whether the user holds a level covering the amount."""
        return any(level.pk in self.held for level in self.covering(amount))


def authority(user: User | None = None) -> Authority:
    """The fund's authority levels, and those the user holds (none for an inactive user)."""
    held = user.authority_levels.values_list("pk", flat=True) if user is not None and user.is_active else ()
    return Authority(levels=tuple(AuthorityLevel.objects.all()), held=frozenset(held))


def no_level_covers(amount: Decimal) -> str:
    return _(
        "No approval authority level covers %(amount)s. An accountant sets the levels on the Fund page."
    ) % {"amount": format_vnd(amount)}


def approval_level_for(amount: Decimal) -> AuthorityLevel:
    """The lowest approval authority level whose limit covers the amount."""
    level = authority().level_needed(amount)
    if level is None:
        raise ValidationError(no_level_covers(amount))
    return level


def check_authority(user: User, amount: Decimal) -> None:
    """Refuse (PermissionDenied) a decision on `amount` by a user whose authority does not cover
    it, naming the level it needs: loan decisions and loan actions alike."""
    held = authority(user)
    if held.covers(amount):
        return
    level = held.level_needed(amount)
    if level is None:
        raise PermissionDenied(no_level_covers(amount))
    raise PermissionDenied(
        _("Deciding on %(amount)s needs the authority of %(level)s; yours does not cover it.")
        % {"amount": format_vnd(amount), "level": level.name}
    )


def can_approve(*, user: User, amount: Decimal) -> bool:
    """Whether the user holds an authority level whose limit covers the amount."""
    return authority(user).covers(amount)


def approvers_for(amount: Decimal) -> QuerySet[User]:
    """The active users who may approve the amount."""
    covering = authority().covering(amount)
    return User.objects.filter(is_active=True, authority_levels__in=covering).distinct().order_by("username")


def capital_receipts() -> QuerySet[CapitalReceipt]:
    """Capital received, latest first, with what it was posted as."""
    return CapitalReceipt.objects.select_related("source", "account", "journal_entry")


def capital_sources() -> QuerySet[CapitalSource]:
    """The fund's capital sources, each with `received`: the sum of its receipts."""
    return CapitalSource.objects.select_related("account").annotate(received=Sum("receipts__amount"))


# --- borrowers ---------------------------------------------------------------------------


def is_coop_user(user: User) -> bool:
    """A user acting for one co-op (linked to a borrower, or holding the co-op role)."""
    return user.borrower_id is not None or user.groups.filter(name=COOP_USER).exists()


def visible_borrowers(user: User) -> QuerySet[Borrower]:
    """The borrowers this user may see: all for the fund's staff, its own for a co-op user."""
    if not user.is_authenticated or not user.is_active or not user.has_perm("fund.view_borrower"):
        return Borrower.objects.none()
    if user.is_superuser:
        return Borrower.objects.all()
    if is_coop_user(user):
        return Borrower.objects.filter(pk=user.borrower_id) if user.borrower_id else Borrower.objects.none()
    return Borrower.objects.all()


# The borrower list's order: unique, and the name index's (migration fund 0019).
BORROWER_ORDER = ("name", "pk")


def borrower_list(
    *, user: User, search: str = "", type: str = "", province: str = "", status: str = ""
) -> QuerySet[Borrower]:
    """Borrowers the user may see, filtered, each with `household_count` (current households)."""
    borrowers = visible_borrowers(user)
    search = search.strip()
    if search:
        borrowers = borrowers.filter(
            Q(name__icontains=search)
            | Q(registration_number__icontains=search)
            | Q(tax_code__icontains=search)
            | Q(representative__icontains=search)
            | Q(phone__icontains=search)
            | Q(commune__icontains=search)
            | Q(district__icontains=search)
        )
    borrowers = filter_given(borrowers, type=type, province=province, status=status)
    # Counted for the rows of a page only (a grouped join counted them for every borrower
    # before the page could be cut), in the order of the name index keyset pages walk.
    current = HouseholdMember.objects.filter(borrower=OuterRef("pk"), left_on__isnull=True).order_by()
    households = Subquery(current.values("borrower").annotate(n=Count("pk")).values("n"), IntegerField())
    return borrowers.annotate(household_count=Coalesce(households, 0)).order_by(*BORROWER_ORDER)


def provinces(*, user: User) -> list[str]:
    """The provinces of the borrowers a user may see, for a filter."""
    borrowers = visible_borrowers(user)
    if not borrowers.query.has_filters():  # every borrower: a jump per province, not a row per borrower
        return _every_province()
    return list(borrowers.order_by("province").values_list("province", flat=True).distinct())


def _every_province() -> list[str]:
    # A loose index scan: each province is the least one after the last, found through the
    # registration index that starts with it; DISTINCT read all 100 000 rows of a province's
    # fund on every page of the borrower list.
    table, column = Borrower._meta.db_table, "province"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE found(p) AS (SELECT MIN({column}) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > p) FROM found WHERE p IS NOT NULL) "
            "SELECT p FROM found WHERE p IS NOT NULL"
        )
        return [province for (province,) in cursor.fetchall()]


def borrower_for(*, user: User, pk: int) -> Borrower:
    """One borrower the user may see; `Borrower.DoesNotExist` otherwise, whether or not it exists."""
    return visible_borrowers(user).get(pk=pk)


def documents_for(*, user: User) -> QuerySet[BorrowerDocument]:
    """Documents of the borrowers the user may see, when the user may see documents at all."""
    if not user.has_perm("fund.view_borrowerdocument"):
        return BorrowerDocument.objects.none()
    return BorrowerDocument.objects.filter(borrower__in=visible_borrowers(user)).select_related(
        "document_type", "uploaded_by"
    )


def household_groups_by_registration(registration_numbers: list[str]) -> dict[str, list[Borrower]]:
    """Household groups whose registration number is one of these (imports refer to groups so)."""
    found: dict[str, list[Borrower]] = {}
    groups = Borrower.objects.filter(
        type=Borrower.Type.HOUSEHOLD_GROUP, registration_number__in=registration_numbers
    )
    for group in groups:
        found.setdefault(group.registration_number, []).append(group)
    return found


# --- loan products -----------------------------------------------------------------------


def product_list(*, include_superseded: bool = False) -> QuerySet[LoanProduct]:
    products = LoanProduct.objects.prefetch_related("required_documents")
    if not include_superseded:
        products = products.exclude(status=LoanProduct.Status.SUPERSEDED)
    return products


def offered_products(*, borrower_type: str | None = None) -> QuerySet[LoanProduct]:
    """The product versions new applications may use, optionally only those open to a borrower type."""
    products = LoanProduct.objects.filter(status=LoanProduct.Status.ACTIVE)
    if borrower_type is None:
        return products
    # Few products: filtering the JSON list in Python works on SQLite and PostgreSQL alike.
    return products.filter(pk__in=[p.pk for p in products if p.allows(borrower_type)])


def product_versions(*, code: str) -> QuerySet[LoanProduct]:
    """Every version of a product, newest first."""
    return LoanProduct.objects.filter(code=code).order_by("-version")


def borrowers_by_number(numbers: list[str]) -> dict[str, Borrower]:
    """The borrowers registered under any of `numbers`, by registration number and by tax code
    (a number shared by borrowers of different communes is left out: it tells none apart)."""
    found: dict[str, list[Borrower]] = {}
    for field in ("registration_number", "tax_code"):
        for borrower in _among(Borrower.objects.all(), field, numbers):
            found.setdefault(getattr(borrower, field), []).append(borrower)
    return {number: matches[0] for number, matches in found.items() if len({b.pk for b in matches}) == 1}


def household_groups_by_name(names: list[str]) -> dict[tuple[str, str], Borrower]:
    """Household borrowing groups by (name, commune), lower case: how a group without a number
    of its own is recognised."""
    groups = _among(Borrower.objects.filter(type=Borrower.Type.HOUSEHOLD_GROUP), "name", names)
    return {(group.name.lower(), group.commune.lower()): group for group in groups}


def probable_duplicates(names: list[str]) -> dict[str, list[Borrower]]:
    """Borrowers already registered under each of `names` (as typed): a borrower brought in with
    other numbers but a registered name is listed for review, not merged."""
    found: dict[str, list[Borrower]] = {}
    for borrower in _among(Borrower.objects.all(), "name", names):
        found.setdefault(borrower.name, []).append(borrower)
    return found


def _among(rows: QuerySet, field: str, values: list[str]):
    """The rows whose `field` is one of `values`, a thousand values a query (SQLite caps them)."""
    values = sorted(set(values))
    for start in range(0, len(values), 1000):
        yield from rows.filter(**{f"{field}__in": values[start : start + 1000]})


def issuer() -> Issuer:
    """Who issues the fund's documents (`settings.DOCUMENT_ISSUER`): its name, its province
    (where it signs) and business date; nothing before the fund is set up."""
    fund = Fund.objects.only("name", "province", "business_date").first()
    if fund is None:
        return Issuer()
    return Issuer(fund.name, fund.province, fund.business_date)


# --- API tokens ----------------------------------------------------------------------------


def usable_token(key: str) -> ApiToken | None:
    """The token of this key, if it is neither revoked nor expired and its user is active."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash(key), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return token if token is not None and token.user.is_active else None


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
