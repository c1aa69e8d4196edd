"""Reading alerts and acting on them as a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts import lifecycle
from tocsin.alerts.models import Alert, AlertLogEntry
from tocsin.alerts.visibility import can_see_source, visible_alerts
from tocsin.auth.models import User
from tocsin.auth.service import get_user, require_responder
from tocsin.clock import Clock
from tocsin.errors import Problem, not_found


@dataclass(frozen=True)
class AlertFilter:
    states: tuple[str, ...] = ()
    alert_source_id: int | None = None
    priority: str | None = None
    assigned_to_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    text: str | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(user: User, f: AlertFilter) -> list[ColumnElement[bool]]:
    conditions = [visible_alerts(user)]
    if f.states:
        conditions.append(Alert.state.in_(f.states))
    if f.alert_source_id is not None:
        conditions.append(Alert.alert_source_id == f.alert_source_id)
    if f.priority:
        conditions.append(Alert.priority == f.priority)
    if f.assigned_to_id is not None:
        conditions.append(Alert.assigned_to_id == f.assigned_to_id)
    if f.created_after is not None:
        conditions.append(Alert.created_at >= f.created_after)
    if f.created_before is not None:
        conditions.append(Alert.created_at < f.created_before)
    if f.text:
        pattern = f"%{_escape_like(f.text.lower())}%"
        conditions.append(
            or_(func.lower(Alert.summary).like(pattern, escape="\\"),
                func.lower(Alert.details).like(pattern, escape="\\"))
        )
    return conditions


def list_alerts(
    session: Session, user: User, f: AlertFilter, *, limit: int, before_id: int | None
) -> tuple[list[Alert], int | None]:
    """Newest first. Returns the page and the id to continue before (None on the last page)."""
    query: Select[Alert] = select(Alert).where(*_conditions(user, f))
    if before_id is not None:
        query = query.where(Alert.id < before_id)
    rows = list(session.scalars(query.order_by(Alert.id.desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


def count_alerts(session: Session, user: User, f: AlertFilter) -> int:
    return session.scalar(select(func.count()).select_from(Alert).where(*_conditions(user, f))) or 0


def get_visible_alert(session: Session, user: User, alert_id: int, *, for_update: bool = False) -> Alert:
    # populate_existing: an alert this session read before must be re-read under the lock.
    alert = session.get(Alert, alert_id, with_for_update={"of": Alert} if for_update else None,
                        populate_existing=for_update)
    if alert is None or not can_see_source(user, alert.source):
        raise not_found("alert")
    return alert


def alert_log(session: Session, alert: Alert) -> list[AlertLogEntry]:
    query = select(AlertLogEntry).where(AlertLogEntry.alert_id == alert.id).order_by(AlertLogEntry.id)
    return list(session.scalars(query))


def accept(session: Session, clock: Clock, user: User, alert_id: int) -> Alert:
    alert = get_actionable(session, user, alert_id)
    lifecycle.accept(session, clock, alert, actor=user, via="user")
    return alert


def resolve(session: Session, clock: Clock, user: User, alert_id: int) -> Alert:
    alert = get_actionable(session, user, alert_id)
    lifecycle.resolve(session, clock, alert, actor=user, via="user")
    return alert


def assign(session: Session, clock: Clock, user: User, alert_id: int, assignee_id: int) -> Alert:
    alert = get_actionable(session, user, alert_id)
    try:
        assignee = get_user(session, assignee_id)
    except Problem:
        raise Problem(400, f"user {assignee_id} does not exist", field="userId") from None
    if not can_see_source(assignee, alert.source):
        raise Problem(400, f"{assignee.name} cannot see this alert's source (not in its teams)", field="userId")
    lifecycle.assign(session, clock, alert, assignee, actor=user)
    return alert


def add_comment(session: Session, clock: Clock, user: User, alert_id: int, content: str) -> Alert:
    alert = get_actionable(session, user, alert_id)
    lifecycle.comment(session, clock, alert, content, actor=user)
    return alert


def get_actionable(session: Session, user: User, alert_id: int) -> Alert:
    """The alert, locked for a change, if the caller may see it and act on alerts."""
    alert = get_visible_alert(session, user, alert_id, for_update=True)
    require_responder(user)
    return alert

