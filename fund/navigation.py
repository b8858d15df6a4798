"""The navigation each user sees, built from what its permissions allow.

Each installed app may have a `nav` module with `NAV_ITEMS`, a list of `NavItem`.
An item is shown to a user who holds its permission; the base template renders them.
"""

from functools import cache

from django.urls import get_script_prefix, reverse

from common.apps import app_modules
from common.navigation import NavItem


@cache
def all_items() -> tuple[NavItem, ...]:
    items: list[NavItem] = []
    for _app_config, module in app_modules("nav"):
        items.extend(module.NAV_ITEMS)
    return tuple(items)


def items_for(user, path: str = "") -> list[dict]:
    if not user.is_authenticated:
        return []
    items = [
        {
            "label": item.label,
            "url": _address(item.url_name, get_script_prefix()),
            "section": item.section,
            "current": False,
        }
        for item in all_items()
        if user.has_perm(item.permission)
    ]
    # The page belongs to the item whose address is the longest start of its own.
    matching = [item for item in items if path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return items


@cache
def _address(url_name: str, prefix: str) -> str:
    """A menu entry's address, worked out once per process (and prefix the site is served under):
    the menu is on every page, and reversing its forty entries each time was a tenth of a short
    page's time."""
    return reverse(url_name)


def context(request) -> dict:
    """Template context processor: `nav_items` for the current user."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_items": []}
    return {"nav_items": items_for(user, request.path)}
