"""Who sees which alert sources and alerts.

Admins see everything. Others see the sources of their teams, and sources that belong to no team
(account-wide, as in ilert); alerts follow their source.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, not_, or_, select, true

from tocsin.alerts.models import Alert, AlertSource, alert_source_teams
from tocsin.auth.models import User


def visible_sources(user: User) -> ColumnElement[bool]:
    if user.is_admin:
        return true()
    link = alert_source_teams.c
    has_team = exists().where(link.alert_source_id == AlertSource.id)
    mine = exists().where(link.alert_source_id == AlertSource.id, link.team_id.in_(user.team_ids or {-1}))
    return or_(not_(has_team), mine)


def visible_alerts(user: User) -> ColumnElement[bool]:
    if user.is_admin:
        return true()
    return Alert.alert_source_id.in_(select(AlertSource.id).where(visible_sources(user)))


def can_see_source(user: User, source: AlertSource) -> bool:
    return user.is_admin or not source.teams or bool(source.team_ids & user.team_ids)
