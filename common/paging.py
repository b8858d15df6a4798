"""Pages of a list, read from the database a page at a time, with how many rows there are.

Numbered pages (`numbered`) for lists that stay short enough for row offsets; keyset pages
(`keyset`) where offsets grow with the list (the journal, an account's ledger): a page starts
after (or ends before) a row, found by its ordering values through the list's index, so the
last page of millions of rows costs what the first does. Every page costs a constant number of
queries: the count, the rows and, for a keyset page, the row it starts from.
`templates/common/_pages.html` shows either kind.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from common.text import row_id


def page_size() -> int:
    return settings.PAGE_SIZE


def numbered(request, rows, *, size: int | None = None, param: str = "page") -> Page:
    """Page `?page=` (`param`, where a screen has several lists) of `rows`, ordered in the
    database: a number out of range or not a number shows the nearest page."""
    return Paginator(rows, size or page_size()).get_page(request.GET.get(param))


@dataclass(frozen=True)
class KeysetPage:
    """A page of a keyset list: its rows, how many rows the list has, and the rows' keys
    (primary keys) the links to the pages beside it start from."""

    rows: list
    count: int
    has_previous: bool
    has_next: bool
    keyset = True  # for the template: no page numbers

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def first_key(self):
        return self.rows[0].pk if self.rows else None

    @property
    def last_key(self):
        return self.rows[-1].pk if self.rows else None

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def keyset(
    request, rows: QuerySet, order: tuple[str, ...], *, size: int | None = None, count: int | None = None
) -> KeysetPage:
    """The page of `rows` that `?after=<pk>`, `?before=<pk>` or `?last=1` asks for (the first
    without any) in `order`, which must order the rows uniquely (end it with "pk"); `count` as
    `keyset_page`'s."""
    return keyset_page(rows, order, **keyset_asked(request), size=size, count=count)


def keyset_asked(request) -> dict[str, Any]:
    """The keyset page the request asks for: `keyset_page`'s `after`, `before` and `last`."""
    get = request.GET
    return {
        "after": row_id(get.get("after")),
        "before": row_id(get.get("before")),
        "last": bool(get.get("last")),
    }


def keyset_page(
    rows: QuerySet,
    order: tuple[str, ...],
    *,
    after=None,
    before=None,
    last: bool = False,
    size: int | None = None,
    count: int | None = None,
) -> KeysetPage:
    """`count`: the rows, when the caller knows them more cheaply than counting."""
    size = size or page_size()
    count = rows.count() if count is None else count
    backwards = tuple(_reversed(field) for field in order)
    start = after if after is not None else before
    values = rows.model._default_manager.filter(pk=start).values(*_names(order)).first() if start else None
    if values is not None and after is not None:
        shown = list(rows.filter(follows(order, values)).order_by(*order)[: size + 1])
        return KeysetPage(shown[:size], count, has_previous=True, has_next=len(shown) > size)
    if values is not None or last:
        chosen = rows.filter(follows(backwards, values)) if values is not None else rows
        shown = list(chosen.order_by(*backwards)[: size + 1])
        more = len(shown) > size if values is not None else count > size
        return KeysetPage(shown[:size][::-1], count, has_previous=more, has_next=values is not None)
    shown = list(rows.order_by(*order)[: size + 1])
    return KeysetPage(shown[:size], count, has_previous=False, has_next=len(shown) > size)


def follows(order: tuple[str, ...], values: dict[str, Any]) -> Q:
    """The rows after the one with `values` in `order` ("-name" descending): (a, b, c) > (x, y, z)
    spelt out field by field, with the first field's bound alone too, which an index on it can
    seek to."""
    first = order[0]
    bound = Q(**{f"{_name(first)}__{'lte' if first.startswith('-') else 'gte'}": values[_name(first)]})
    beyond, equal = Q(), {}
    for field in order:
        name = _name(field)
        beyond |= Q(**equal, **{f"{name}__{'lt' if field.startswith('-') else 'gt'}": values[name]})
        equal[name] = values[name]
    return bound & beyond


def precedes(order: tuple[str, ...], values: dict[str, Any]) -> Q:
    """The rows before the one with `values` in `order`."""
    return follows(tuple(_reversed(field) for field in order), values)


def _name(field: str) -> str:
    return field.removeprefix("-")


def _names(order: tuple[str, ...]) -> list[str]:
    return [_name(field) for field in order]


def _reversed(field: str) -> str:
    return _name(field) if field.startswith("-") else f"-{field}"
