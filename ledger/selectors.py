"""Reads of the books: balances, the trial balance, an account's ledger, the journal.

Balances are debit minus credit, in whole đồng, as of the end of a value date. An account's
balance includes its sub-accounts unless asked otherwise.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from common.money import ZERO
from common.names import localized_name
from common.paging import KeysetPage, keyset_page, precedes
from common.querysets import filter_given
from ledger.models import Account, AccountDay, AccountType, JournalEntry, JournalLine, JournalSequence

# The first day of the books (the fund's opening date): the app that keeps it registers where to
# read it (`fund.apps`), as the ledger knows nothing of the fund; nothing registered, no limit.
_books_open_source: list[Callable[[], date | None]] = []


def register_books_open(source: Callable[[], date | None]) -> None:
    _books_open_source[:] = [source]


def books_open_on() -> date | None:
    """The day the books open, or None when no app says (or before the fund is set up)."""
    return _books_open_source[0]() if _books_open_source else None


def named_lines(lines: Iterable) -> list[tuple]:
    """Each line of an entry still to post with its account's name: what a confirmation shows."""
    lines = list(lines)
    accounts = Account.objects.filter(code__in={line.account for line in lines})
    names = {account.code: account.name for account in accounts}
    return [(line, names[line.account]) for line in lines]


# --- the chart as a tree ------------------------------------------------------


@dataclass
class ChartRow:
    """An account in the chart's order, with its depth and what it adds up."""

    pk: int
    code: str
    name_vi: str
    name_en: str
    type: str
    parent_id: int | None
    active: bool
    depth: int = 0
    postable: bool = True
    debits: Decimal = ZERO  # posted up to the as-of date, sub-accounts included
    credits: Decimal = ZERO
    line_count: int = 0

    @property
    def name(self) -> str:
        return localized_name(self.name_vi, self.name_en)

    @property
    def type_label(self) -> str:
        return AccountType(self.type).label

    @property
    def balance(self) -> Decimal:
        return self.debits - self.credits

    @property
    def debit_balance(self) -> Decimal:
        return max(self.balance, ZERO)

    @property
    def credit_balance(self) -> Decimal:
        return max(-self.balance, ZERO)

    @property
    def is_off_balance(self) -> bool:
        return self.type == AccountType.OFF_BALANCE


def _tree(
    rows: Iterable[ChartRow], sums: Iterable[str] = ("debits", "credits", "line_count")
) -> list[ChartRow]:
    """Order by code (a sub-account's code extends its parent's), set depth and postability,
    and add each leaf's `sums` into its ancestors."""
    by_pk = {row.pk: row for row in rows}
    parents = {row.parent_id for row in by_pk.values()}
    sums = tuple(sums)
    for row in by_pk.values():
        row.postable = row.pk not in parents
        ancestor = by_pk.get(row.parent_id)
        while ancestor is not None:
            row.depth += 1
            if row.postable:
                for name in sums:
                    setattr(ancestor, name, getattr(ancestor, name) + getattr(row, name))
            ancestor = by_pk.get(ancestor.parent_id)
    return sorted(by_pk.values(), key=lambda row: row.code)


_ACCOUNT = ("pk", "code", "name_vi", "name_en", "type", "parent_id", "active")


def chart(*, as_of: date | None = None) -> list[ChartRow]:
    """Every account in chart order; with `as_of`, what was posted to it up to that date.

    One query: the accounts, left-joined to their sums per day (`AccountDay`) and summed.
    """
    accounts = Account.objects.order_by()
    if as_of is None:
        return _tree(ChartRow(**values) for values in accounts.values(*_ACCOUNT))
    upto = Q(days__value_date__lte=as_of)
    sums = accounts.values(*_ACCOUNT).annotate(
        debits=Sum("days__debit", filter=upto, default=ZERO),
        credits=Sum("days__credit", filter=upto, default=ZERO),
        line_count=Sum("days__line_count", filter=upto, default=0),
    )
    return _tree(ChartRow(**values) for values in sums)


def _descendants(codes: Iterable[str], *, include_children: bool) -> set[int]:
    """The ids of the postable accounts under (or equal to) each code."""
    codes = set(codes)
    rows = {pk: (code, parent) for pk, code, parent in Account.objects.values_list("pk", "code", "parent_id")}
    known = {code for code, _parent in rows.values()}
    unknown = codes - known
    if unknown:
        raise Account.DoesNotExist(f"no account {', '.join(sorted(unknown))}")
    selected = {pk for pk, (code, _parent) in rows.items() if code in codes}
    if not include_children:
        return selected
    result = set()
    for pk in rows:
        node = pk
        while node is not None:
            if node in selected:
                result.add(pk)
                break
            node = rows[node][1]
    return result


# --- balances -----------------------------------------------------------------


def account_balance(*, code: str, as_of: date, include_children: bool = True) -> Decimal:
    """Debit minus credit of an account (with its sub-accounts) at the end of `as_of`."""
    return accounts_total(codes=[code], as_of=as_of, include_children=include_children)


def accounts_total(*, codes: Iterable[str], as_of: date, include_children: bool = True) -> Decimal:
    """Debit minus credit of a set of accounts together; an account under two codes counts once."""
    ids = _descendants(codes, include_children=include_children)
    sums = AccountDay.objects.filter(account_id__in=ids, value_date__lte=as_of).aggregate(
        debits=Sum("debit", default=ZERO), credits=Sum("credit", default=ZERO)
    )
    return sums["debits"] - sums["credits"]


def account_balances(*, codes: Iterable[str], as_of: date) -> dict[str, Decimal]:
    """Each code's balance (debit minus credit, sub-accounts included) at the end of `as_of`."""
    codes = list(dict.fromkeys(codes))
    rows = {row.code: row for row in chart(as_of=as_of)}
    missing = [code for code in codes if code not in rows]
    if missing:
        raise Account.DoesNotExist(f"no account {', '.join(missing)}")
    return {code: rows[code].balance for code in codes}


def result_balances(*, as_of: date) -> list[ChartRow]:
    """The postable income and expense accounts with a balance at the end of `as_of`: what a
    year's closing entry takes to the result (911). Balances are sums from the first posting,
    so a year closed leaves them at zero and the next year starts from there."""
    kinds = (AccountType.INCOME, AccountType.EXPENSE)
    return [row for row in chart(as_of=as_of) if row.postable and row.type in kinds and row.balance]


# --- trial balance ------------------------------------------------------------


@dataclass
class TrialBalanceSection:
    off_balance: bool
    rows: list[ChartRow] = field(default_factory=list)

    @property
    def leaves(self) -> list[ChartRow]:
        return [row for row in self.rows if row.postable]

    def total(self, column: str) -> Decimal:
        """Sum of a column over the postable accounts (parents would count their children twice)."""
        return sum((getattr(row, column) for row in self.leaves), ZERO)

    total_debit = property(lambda self: self.total("debit_balance"))
    total_credit = property(lambda self: self.total("credit_balance"))
    total_debits_posted = property(lambda self: self.total("debits"))
    total_credits_posted = property(lambda self: self.total("credits"))

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit and self.total_debits_posted == self.total_credits_posted


@dataclass
class TrialBalance:
    as_of: date
    sections: list[TrialBalanceSection]

    @property
    def rows(self) -> list[ChartRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def balanced(self) -> bool:
        return all(section.balanced for section in self.sections)

    @property
    def line_count(self) -> int:
        return sum(row.line_count for row in self.rows if row.postable)


def trial_balance(*, as_of: date, include_zero: bool = False) -> TrialBalance:
    """Balances of every account at the end of `as_of`, on-balance and off-balance apart.

    Each section balances on its own: off-balance accounts are posted against 009.
    Accounts that never had a posting are left out unless `include_zero`.
    """
    on, off = TrialBalanceSection(off_balance=False), TrialBalanceSection(off_balance=True)
    for row in chart(as_of=as_of):
        if include_zero or row.line_count:
            (off if row.is_off_balance else on).rows.append(row)
    return TrialBalance(as_of=as_of, sections=[on, off])


# --- trial balance for a period (bảng cân đối số phát sinh) ------------------------------


@dataclass
class PeriodRow(ChartRow):
    """An account over a period: `debits` and `credits` are the period's movements; the balances
    before and after it are each on their side. A parent's columns are its leaves' sums (an
    account with balances on both sides, 131 or 331, shows both)."""

    opening_debit: Decimal = ZERO
    opening_credit: Decimal = ZERO
    closing_debit: Decimal = ZERO
    closing_credit: Decimal = ZERO

    AMOUNTS = ("opening_debit", "opening_credit", "debits", "credits", "closing_debit", "closing_credit")

    @property
    def figures(self) -> tuple[Decimal, ...]:
        """The `AMOUNTS`, in the layout's order."""
        return tuple(getattr(self, name) for name in self.AMOUNTS)


class PeriodSection(TrialBalanceSection):
    @property
    def totals(self) -> dict[str, Decimal]:
        return {column: self.total(column) for column in PeriodRow.AMOUNTS}

    @property
    def balanced(self) -> bool:
        totals = self.totals
        return all(totals[debit] == totals[credit] for debit, credit in _SIDES)


_SIDES = (("opening_debit", "opening_credit"), ("debits", "credits"), ("closing_debit", "closing_credit"))


@dataclass
class PeriodTrialBalance:
    start: date
    end: date
    sections: list[PeriodSection]

    @property
    def balanced(self) -> bool:
        return all(section.balanced for section in self.sections)


def period_trial_balance(*, start: date, end: date, include_zero: bool = False) -> PeriodTrialBalance:
    """Each account's balance before `start`, what was posted to it from `start` to `end`, and
    its balance at the end, by the entries' dates (the books' own: a back-dated loan event is in
    the GL on the date it was posted), on-balance and off-balance apart, parents with their
    leaves' sums. One query, as `chart`. Accounts without a posting up to `end` are left out
    unless `include_zero`."""
    before, within = Q(days__value_date__lt=start), Q(days__value_date__gte=start, days__value_date__lte=end)
    sums = (
        Account.objects.order_by()
        .values(*_ACCOUNT)
        .annotate(
            opening=Sum(F("days__debit") - F("days__credit"), filter=before, default=ZERO),
            debits=Sum("days__debit", filter=within, default=ZERO),
            credits=Sum("days__credit", filter=within, default=ZERO),
            line_count=Sum("days__line_count", filter=before | within, default=0),
        )
    )
    rows = []
    for values in sums:
        opening = values.pop("opening")
        row = PeriodRow(**values, opening_debit=max(opening, ZERO), opening_credit=max(-opening, ZERO))
        closing = opening + row.debits - row.credits
        row.closing_debit, row.closing_credit = max(closing, ZERO), max(-closing, ZERO)
        rows.append(row)
    on, off = PeriodSection(off_balance=False), PeriodSection(off_balance=True)
    for row in _tree(rows, (*PeriodRow.AMOUNTS, "line_count")):
        if include_zero or row.line_count:
            (off if row.is_off_balance else on).rows.append(row)
    return PeriodTrialBalance(start, end, [on, off])


# --- an account's ledger --------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    entry_id: int
    number: str
    value_date: date
    memo: str
    reference: str
    account_code: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # running, after this line
    contra: str = ""  # the account(s) on the entry's other side (TK đối ứng)


@dataclass
class LedgerDetail:
    account: Account
    date_from: date
    date_to: date
    opening: Decimal
    rows: list[LedgerRow]

    @property
    def total_debit(self) -> Decimal:
        return sum((row.debit for row in self.rows), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((row.credit for row in self.rows), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.total_debit - self.total_credit


@dataclass
class LedgerStream:
    """An account's ledger as the export writes it: the rows are read as they are written."""

    account: Account
    date_from: date
    date_to: date
    opening: Decimal
    rows: Iterator[LedgerRow]


def ledger_detail(
    *, code: str, date_from: date, date_to: date, include_children: bool = True
) -> LedgerDetail:
    """The lines of an account from `date_from` to `date_to`, with the balance before them
    and the running balance after each, in posting order, each with its contra-account."""
    stream = ledger_stream(code=code, date_from=date_from, date_to=date_to, include_children=include_children)
    return LedgerDetail(stream.account, date_from, date_to, stream.opening, list(stream.rows))


def ledger_stream(
    *, code: str, date_from: date, date_to: date, include_children: bool = True
) -> LedgerStream:
    """`ledger_detail`'s rows, streamed (a year of a cash account is tens of thousands of
    lines): two queries read in step, the account's lines and, summed per account and side,
    the lines of the entries they belong to (for the contra-accounts)."""
    account = Account.objects.get(code=code)
    ids = _descendants([code], include_children=include_children)
    # Nothing lies before the first date there is (and the day before it does not exist).
    opening = ZERO
    if date_from > date.min:
        before = date_from - timedelta(days=1)
        opening = accounts_total(codes=[code], as_of=before, include_children=include_children)
    within = Q(value_date__gte=date_from, value_date__lte=date_to)
    mine = JournalLine.objects.filter(within, account_id__in=ids)
    order = ("value_date", "entry__year", "entry__sequence")
    lines = mine.order_by(*order, "pk").values_list(
        "entry_id",
        "entry__year",
        "entry__sequence",
        "value_date",
        "entry__memo",
        "reference",
        "account__code",
        "debit",
        "credit",
    )
    # A line's value date is its entry's: the same range keeps the scan to those days.
    sides = _sides(JournalLine.objects.filter(within, entry_id__in=mine.values("entry_id")))
    return LedgerStream(
        account, date_from, date_to, opening, _running(opening, lines.iterator(5000), sides.iterator(5000))
    )


def _sides(lines: QuerySet[JournalLine]):
    """The lines of some entries summed per entry, side and account, in the ledger's order."""
    order = ("value_date", "entry__year", "entry__sequence")
    return (
        lines.annotate(debit_side=Case(When(debit__gt=0, then=Value(True)), default=Value(False)))
        .order_by(*order, "entry_id", "debit_side", "account__code")
        .values(*order, "entry_id", "debit_side", "account__code")
        .annotate(debits=Sum("debit"), credits=Sum("credit"), count=Count("pk"))
        .values_list("entry_id", "debit_side", "account__code", "debits", "credits", "count")
    )


LEDGER_ORDER = ("value_date", "entry__year", "entry__sequence", "pk")  # posting order


@dataclass
class LedgerPage(LedgerDetail):
    """A page of an account's ledger: `opening` is the balance before its first line (the
    previous page's last balance), `closing` the balance after its last; `period_debit` and
    `period_credit` the whole period's movements."""

    page: KeysetPage | None = None
    period_debit: Decimal = ZERO
    period_credit: Decimal = ZERO


def ledger_page(
    *,
    code: str,
    date_from: date,
    date_to: date,
    after: int | None = None,
    before: int | None = None,
    last: bool = False,
    include_children: bool = True,
) -> LedgerPage:
    """A keyset page of `ledger_detail`'s lines (`common.paging`): a year of the loan account is
    hundreds of thousands of lines. The page's opening balance is summed in the database (the
    days before the first line's from the accounts' daily totals, then that day's lines before
    it), never by reading the pages before; the count is the daily totals' too."""
    account = Account.objects.get(code=code)
    ids = _descendants([code], include_children=include_children)
    days = AccountDay.objects.filter(account_id__in=ids)
    within = Q(value_date__gte=date_from, value_date__lte=date_to)
    period = days.filter(within).aggregate(
        debits=Sum("debit", default=ZERO),
        credits=Sum("credit", default=ZERO),
        count=Sum("line_count", default=0),
    )
    count = period["count"]
    mine = JournalLine.objects.filter(within, account_id__in=ids).select_related("entry", "account")
    page = keyset_page(mine, LEDGER_ORDER, after=after, before=before, last=last, count=count)
    first = page.rows[0] if page.rows else None
    day = first.value_date if first else date_from
    opening = _debit_minus_credit(days.filter(value_date__lt=day))
    if first is not None:
        values = {"value_date": day, "entry__year": first.entry.year, "entry__sequence": first.entry.sequence}
        earlier = JournalLine.objects.filter(account_id__in=ids, value_date=day)
        opening += _debit_minus_credit(earlier.filter(precedes(LEDGER_ORDER, {**values, "pk": first.pk})))
    lines = [
        (
            line.entry_id,
            line.entry.year,
            line.entry.sequence,
            line.value_date,
            line.entry.memo,
            line.reference,
            line.account.code,
            line.debit.amount,
            line.credit.amount,
        )
        for line in page.rows
    ]
    sides = _sides(JournalLine.objects.filter(entry_id__in={line[0] for line in lines}))
    rows = list(_running(opening, lines, sides))
    return LedgerPage(
        account,
        date_from,
        date_to,
        opening,
        rows,
        page,
        period_debit=period["debits"],
        period_credit=period["credits"],
    )


def ledger_line_count(*, code: str, date_from: date, date_to: date) -> int:
    """The lines of an account (with its sub-accounts) from `date_from` to `date_to`, from the
    daily totals: what its export will write, told without reading them."""
    days = AccountDay.objects.filter(
        account_id__in=_descendants([code], include_children=True),
        value_date__gte=date_from,
        value_date__lte=date_to,
    )
    return days.aggregate(n=Sum("line_count", default=0))["n"]


def _debit_minus_credit(rows: QuerySet) -> Decimal:
    sums = rows.aggregate(debits=Sum("debit", default=ZERO), credits=Sum("credit", default=ZERO))
    return sums["debits"] - sums["credits"]


def _running(opening: Decimal, lines, sides) -> Iterator[LedgerRow]:
    balance = opening
    for (entry_id, year, sequence, *columns), entry_sides in _in_step(lines, sides):
        number = f"{year}-{sequence:06d}"
        for contra, debit, credit in _contras(columns[-2], columns[-1], entry_sides):
            balance += debit - credit
            yield LedgerRow(entry_id, number, *columns[:-2], debit, credit, balance, contra)


def _in_step(lines, sides):
    """Each line with its entry's sides: both streams are in the entries' order."""
    groups = itertools.groupby(sides, key=lambda side: side[0])
    entry_id, group = None, []
    for line in lines:
        while entry_id != line[0]:
            entry_id, group = next(groups)
            group = list(group)
        yield line, group


def _contras(debit: Decimal, credit: Decimal, entry_sides: list[tuple]) -> list[tuple[str, Decimal, Decimal]]:
    """A line as the general ledger shows it, against the accounts on the entry's other side:
    one of them, that one; the only line on its side against several, split by theirs (as
    Vietnamese accounting software prints S03b); several against several, all their codes."""
    is_debit = debit > 0
    other = [
        (code, debits if not is_debit else credits)
        for _e, side, code, debits, credits, _n in entry_sides
        if side != is_debit
    ]
    alongside = sum(count for _e, side, _c, _d, _cr, count in entry_sides if side == is_debit)
    if len(other) == 1:
        return [(other[0][0], debit, credit)]
    if alongside == 1 and other:
        return [(code, amount, ZERO) if is_debit else (code, ZERO, amount) for code, amount in other]
    return [(", ".join(code for code, _amount in other), debit, credit)]


# --- the journal ----------------------------------------------------------------


def reporting_date() -> date:
    """The date reports default to: today, or the last value date posted if that is later
    (a fund's business date can run ahead of the calendar, in a demo or after a holiday)."""
    last = JournalEntry.objects.order_by("-value_date").values_list("value_date", flat=True).first()
    today = timezone.localdate()
    return max(today, last) if last else today


def journal_entries(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    source_kind: str = "",
    account_code: str = "",
    text: str = "",
) -> QuerySet[JournalEntry]:
    """Entries, newest number first, with their lines and accounts, filtered.

    `account_code` keeps entries with a line on that account or its sub-accounts; `text`
    searches the memo, the number, the source reference and the lines' references.
    """
    entries = filter_given(
        JournalEntry.objects.all(),
        value_date__gte=date_from,
        value_date__lte=date_to,
        source_kind=source_kind,
    )
    if account_code:
        ids = _descendants([account_code], include_children=True)
        entries = entries.filter(Exists(JournalLine.objects.filter(entry=OuterRef("pk"), account_id__in=ids)))
    if text:
        text = text.strip()
        match = Q(memo__icontains=text) | Q(source_ref__icontains=text) | Q(idempotency_key=text)
        match |= Q(Exists(JournalLine.objects.filter(entry=OuterRef("pk"), reference__icontains=text)))
        year, _dash, sequence = text.partition("-")
        if year.isdigit() and sequence.isdigit():
            match |= Q(year=int(year), sequence=int(sequence))
        entries = entries.filter(match)
    lines = JournalLine.objects.select_related("account").order_by("pk")
    return (
        entries.select_related("reverses", "created_by", "reversed_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by(*JOURNAL_ORDER)
    )


JOURNAL_ORDER = ("-year", "-sequence", "-pk")  # newest number first


def entry_count() -> int:
    """How many entries the journal holds, from the years' counters: numbers are gap-free and
    entries are never deleted, so each year's last number is its count of entries."""
    return JournalSequence.objects.aggregate(n=Sum("last_number", default=0))["n"]


def source_kinds() -> list[str]:
    """The sources that have posted, for the journal's filter."""
    return list(JournalEntry.objects.order_by("source_kind").values_list("source_kind", flat=True).distinct())


def journal_lines(entries: QuerySet[JournalEntry]) -> Iterator[tuple]:
    """The lines of `entries`, flat and streamed, for the journal's export."""
    return (
        JournalLine.objects.filter(entry__in=entries.order_by().values("pk"))
        .order_by("entry__year", "entry__sequence", "pk")
        .values_list(
            "entry__year",
            "entry__sequence",
            "value_date",
            "entry__memo",
            "entry__source_kind",
            "entry__source_ref",
            "account__code",
            "reference",
            "debit",
            "credit",
        )
        .iterator(chunk_size=5000)
    )
