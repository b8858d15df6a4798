"""A menu entry an app offers (in its `nav.py`); `fund.navigation` shows each user the ones it may use."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str  # shown only to users who hold it
    section: str = ""
