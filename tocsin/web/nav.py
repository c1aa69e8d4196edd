"""The app's navigation: one list of places, shown as the phone's tab bar (primary ones), the menu sheet,
and the desktop sidebar.

Other packages add their pages with `register` (e.g. "On call" and "Shifts" as primary tabs, or
"Coverage requests" with an urgent badge, which also shows as a red dot on the menu button).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tocsin.alerts import service as alerts
from tocsin.auth.models import User


def _everyone(_user: User) -> bool:
    return True


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str
    icon: str  # id of a symbol in the page's icon sprite
    short: str = ""  # label in the tab bar, when shorter than `label`
    primary: bool = False  # also in the phone's bottom tab bar
    section: str = "main"  # main | settings | admin
    visible: Callable[[User], bool] = _everyone
    badge: Callable[[Session, User], int] | None = None
    urgent: bool = False  # a red badge that also marks the menu button


@dataclass(frozen=True)
class NavLink:
    item: NavItem
    count: int
    active: bool


@dataclass(frozen=True)
class Navigation:
    links: list[NavLink]
    urgent_count: int

    def section(self, name: str) -> list[NavLink]:
        return [link for link in self.links if link.item.section == name]

    @property
    def primary(self) -> list[NavLink]:
        return [link for link in self.links if link.item.primary]


def _pending_alerts(session: Session, user: User) -> int:
    return alerts.count_alerts(session, user, alerts.AlertFilter(states=("PENDING",)))


ITEMS: list[NavItem] = [
    NavItem("alerts", "Alerts", "/alerts", "bell", primary=True, badge=_pending_alerts),
    NavItem("policies", "Escalation policies", "/escalation-policies", "layers", "Policies", primary=True),
    NavItem("sources", "Alert sources", "/alert-sources", "plug", "Sources", primary=True),
    NavItem("profile", "Profile", "/profile", "user", primary=True, section="settings"),
    NavItem("api-keys", "API keys", "/api-keys", "key", section="settings"),
    NavItem("teams", "Teams", "/admin/teams", "users", section="admin"),
    NavItem("users", "Users", "/admin/users", "shield", section="admin", visible=lambda u: u.is_admin),
]


def register(item: NavItem, *, before: str | None = None) -> None:
    """Add a place to the navigation (before the item with key `before`, else at the end of its section)."""
    keys = [i.key for i in ITEMS]
    if item.key in keys:
        ITEMS[keys.index(item.key)] = item
    elif before in keys:
        ITEMS.insert(keys.index(before), item)
    else:
        ITEMS.append(item)


def build(session: Session, user: User, active: str) -> Navigation:
    links = []
    for item in ITEMS:
        if not item.visible(user):
            continue
        count = item.badge(session, user) if item.badge else 0
        links.append(NavLink(item, count, item.key == active))
    return Navigation(links, sum(link.count for link in links if link.item.urgent))
