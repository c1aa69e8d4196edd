"""Alert state changes, shared by events from tools and actions by people: log entry + job, always."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tocsin.alerts.models import Alert, AlertLogEntry, AlertState, LogKind
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.engine.queue import enqueue
from tocsin.errors import conflict

ALERT_CREATED = "alert.created"
ALERT_CHANGED = "alert.changed"


def add_log(
    session: Session,
    clock: Clock,
    alert: Alert,
    kind: LogKind,
    message: str,
    *,
    actor: User | None = None,
    inbound_event_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        AlertLogEntry(
            alert_id=alert.id,
            at=clock.now(),
            kind=kind.value,
            message=message,
            actor_user_id=actor.id if actor else None,
            inbound_event_id=inbound_event_id,
            data=data,
        )
    )


def _changed(session: Session, clock: Clock, alert: Alert, change: str) -> None:
    enqueue(session, clock, ALERT_CHANGED, {"alertId": alert.id, "change": change, "state": alert.state})


def _stop_escalation(alert: Alert) -> None:
    # Timers set for an older generation find it changed and do nothing.
    alert.escalation_generation += 1
    alert.next_escalation_at = None


def _by(actor: User | None, via: str) -> str:
    return f"by {actor.name}" if actor else f"by {via}"


def accept(session: Session, clock: Clock, alert: Alert, *, actor: User | None, via: str) -> bool:
    """PENDING → ACCEPTED. Accepting an accepted alert changes nothing; a resolved one is a conflict."""
    if alert.state == AlertState.ACCEPTED.value:
        return False
    if alert.state == AlertState.RESOLVED.value:
        raise conflict("the alert is resolved and can no longer be accepted", state=alert.state)
    alert.state = AlertState.ACCEPTED.value
    _stop_escalation(alert)
    alert.accepted_at = clock.now()
    alert.accepted_by, alert.accepted_by_id = actor, actor.id if actor else None
    add_log(session, clock, alert, LogKind.STATE, f"Alert accepted {_by(actor, via)}", actor=actor)
    _changed(session, clock, alert, "ACCEPTED")
    return True


def resolve(session: Session, clock: Clock, alert: Alert, *, actor: User | None, via: str) -> bool:
    """PENDING or ACCEPTED → RESOLVED. Resolving twice changes nothing."""
    if alert.state == AlertState.RESOLVED.value:
        return False
    alert.state = AlertState.RESOLVED.value
    _stop_escalation(alert)
    alert.resolved_at = clock.now()
    alert.resolved_by, alert.resolved_by_id = actor, actor.id if actor else None
    add_log(session, clock, alert, LogKind.STATE, f"Alert resolved {_by(actor, via)}", actor=actor)
    _changed(session, clock, alert, "RESOLVED")
    return True


def assign(session: Session, clock: Clock, alert: Alert, assignee: User, *, actor: User) -> bool:
    if alert.state == AlertState.RESOLVED.value:
        raise conflict("the alert is resolved and can no longer be assigned", state=alert.state)
    if alert.assigned_to_id == assignee.id:
        return False
    alert.assigned_to, alert.assigned_to_id = assignee, assignee.id
    add_log(session, clock, alert, LogKind.ASSIGNED, f"Alert assigned to {assignee.name} by {actor.name}", actor=actor)
    _changed(session, clock, alert, "ASSIGNED")
    return True


def comment(
    session: Session, clock: Clock, alert: Alert, content: str, *, actor: User | None, creator: str | None = None
) -> None:
    author = actor.name if actor else (creator or "integration")
    add_log(
        session, clock, alert, LogKind.COMMENT, content, actor=actor, data={"author": author}
    )
