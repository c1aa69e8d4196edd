"""Heartbeat rules: who sees and changes monitors, pings, and the check that raises the alert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from tocsin.alerts.events import Event
from tocsin.alerts.ingest import ingest
from tocsin.alerts.models import AlertSource, EventType, SourceStatus
from tocsin.alerts.sources import require_can_manage
from tocsin.alerts.visibility import can_see_source, visible_sources
from tocsin.auth import security
from tocsin.auth.models import User
from tocsin.auth.service import can_configure
from tocsin.clock import Clock
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.errors import Problem, forbidden, not_found
from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatState, HeartbeatStatus

CHECK = "heartbeat.check"
ORIGIN = "heartbeat"


def alert_key(monitor: HeartbeatMonitor) -> str:
    return f"heartbeat-{monitor.id}"


def due_at(monitor: HeartbeatMonitor) -> datetime:
    """When a missing ping becomes an alert: the current interval's start + interval + grace."""
    return monitor.period_started_at + timedelta(seconds=monitor.interval_seconds + monitor.grace_seconds)


def state(monitor: HeartbeatMonitor, now: datetime) -> HeartbeatState:
    late = monitor.status == HeartbeatStatus.ACTIVE.value and now >= due_at(monitor)
    if monitor.overdue or late:
        return HeartbeatState.OVERDUE
    return HeartbeatState.UP if monitor.last_ping_at is not None else HeartbeatState.NEW


def new_ping_key() -> str:
    """128 random bits as 32 hex characters, never all digits: /api/heartbeats/{id} takes numbers."""
    while True:
        key = security.new_integration_key()
        if not key.isdigit():
            return key


# --- who sees and changes what ---------------------------------------------------------------


def list_monitors(session: Session, user: User) -> list[HeartbeatMonitor]:
    visible = select(AlertSource.id).where(visible_sources(user))
    query = (
        select(HeartbeatMonitor)
        .where(HeartbeatMonitor.alert_source_id.in_(visible))
        .options(selectinload(HeartbeatMonitor.source))
    )
    return list(session.scalars(query.order_by(HeartbeatMonitor.id)))


def get_visible_monitor(session: Session, user: User, monitor_id: int) -> HeartbeatMonitor:
    monitor = session.get(HeartbeatMonitor, monitor_id)
    if monitor is None or not can_see_source(user, monitor.source):
        raise not_found("heartbeat monitor")
    return monitor


def _manageable_source(session: Session, user: User, source_id: int) -> AlertSource:
    source = session.get(AlertSource, source_id)
    if source is None or not can_see_source(user, source):
        raise Problem(400, f"alert source {source_id} does not exist", field="alertSource")
    require_can_manage(user, source)
    return source


# --- changes ---------------------------------------------------------------------------------


def create_monitor(
    session: Session, clock: Clock, user: User, changes: dict[str, Any]
) -> tuple[HeartbeatMonitor, str]:
    if not can_configure(user):
        raise forbidden("your role may not create heartbeat monitors")
    source = _manageable_source(session, user, changes.pop("alert_source_id"))
    key, now = new_ping_key(), clock.now()
    monitor = HeartbeatMonitor(
        alert_source_id=source.id, key_digest=security.digest(key), key_hint=key[-4:], period_started_at=now,
        overdue=False, created_at=now, updated_at=now, grace_seconds=0, status=HeartbeatStatus.ACTIVE.value,
        summary=None,
    )
    for name, value in changes.items():
        setattr(monitor, name, value)
    session.add(monitor)
    session.flush()
    monitor.source = source
    _reschedule(session, clock, monitor)  # the first interval starts now
    return monitor, key


def update_monitor(
    session: Session, clock: Clock, user: User, monitor: HeartbeatMonitor, changes: dict[str, Any]
) -> None:
    require_can_manage(user, monitor.source)
    if "alert_source_id" in changes:
        monitor.source = _manageable_source(session, user, changes.pop("alert_source_id"))
    resumed = changes.get("status") == HeartbeatStatus.ACTIVE.value and monitor.status != changes["status"]
    for name, value in changes.items():
        setattr(monitor, name, value)
    now = clock.now()
    if resumed:
        monitor.period_started_at = now  # a paused monitor starts a fresh interval
    monitor.updated_at = now
    session.flush()
    _reschedule(session, clock, monitor)


def rotate_key(session: Session, clock: Clock, user: User, monitor: HeartbeatMonitor) -> str:
    require_can_manage(user, monitor.source)
    key = new_ping_key()
    monitor.key_digest, monitor.key_hint = security.digest(key), key[-4:]
    monitor.updated_at = clock.now()
    session.flush()
    return key


def delete_monitor(session: Session, user: User, monitor: HeartbeatMonitor) -> None:
    require_can_manage(user, monitor.source)
    _cancel_check(session, monitor)
    session.delete(monitor)


def _dedup_key(monitor: HeartbeatMonitor) -> str:
    return f"heartbeat:{monitor.id}"


def _reschedule(session: Session, clock: Clock, monitor: HeartbeatMonitor) -> None:
    """One pending check per monitor, due when the current interval (plus grace) ends; none when paused."""
    if monitor.status != HeartbeatStatus.ACTIVE.value:
        _cancel_check(session, monitor)
        return
    enqueue(session, clock, CHECK, {"heartbeatId": monitor.id}, run_at=due_at(monitor),
            dedup_key=_dedup_key(monitor), replace=True)


def _cancel_check(session: Session, monitor: HeartbeatMonitor) -> None:
    # A check that already started finds the monitor paused (or gone) and does nothing.
    session.execute(
        delete(Job).where(Job.dedup_key == _dedup_key(monitor), Job.status == JobStatus.PENDING.value),
        execution_options={"synchronize_session": False},
    )


# --- pings and checks ------------------------------------------------------------------------


class UnknownPingKey(Problem):
    def __init__(self) -> None:
        super().__init__(404, "no heartbeat monitor has this key", slug="unknown-heartbeat-key")


def ping(session: Session, clock: Clock, key: str) -> HeartbeatMonitor:
    """Record a ping: the next interval starts now, and an alert raised for a missed ping is resolved."""
    key = key.strip().lower()
    monitor = session.scalar(
        select(HeartbeatMonitor).where(HeartbeatMonitor.key_digest == security.digest(key)).with_for_update()
    ) if key else None
    if monitor is None:
        raise UnknownPingKey()
    now = clock.now()
    monitor.last_ping_at = monitor.period_started_at = now
    if monitor.overdue:
        monitor.overdue = False
        _ingest(session, clock, monitor, Event(
            event_type=EventType.RESOLVE, alert_key=alert_key(monitor),
            summary=f'Heartbeat "{monitor.name}" pinged again', origin=ORIGIN,
        ))
    _reschedule(session, clock, monitor)
    return monitor


def check(ctx: JobContext) -> None:
    """Raise the alert when the interval ran out with no ping; wait longer when a ping came meanwhile."""
    monitor = ctx.session.get(HeartbeatMonitor, ctx.payload["heartbeatId"], with_for_update=True)
    if monitor is None or monitor.status != HeartbeatStatus.ACTIVE.value or monitor.overdue:
        return
    due = due_at(monitor)
    if due > ctx.clock.now():
        _reschedule(ctx.session, ctx.clock, monitor)
        return
    monitor.overdue = True
    _ingest(ctx.session, ctx.clock, monitor, _missed_event(monitor))


def readable(seconds: int) -> str:
    """3690 -> '1 h 1 min 30 s'."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def _missed_event(monitor: HeartbeatMonitor) -> Event:
    since = monitor.last_ping_at
    last = f"the last ping came at {since.isoformat()}" if since else "no ping has come since it was created"
    interval, grace = readable(monitor.interval_seconds), readable(monitor.grace_seconds)
    return Event(
        event_type=EventType.ALERT,
        alert_key=alert_key(monitor),
        summary=monitor.summary or f'Heartbeat "{monitor.name}" missed: no ping within {interval}',
        details=f"Expected a ping every {interval} (grace {grace}); {last}.",
        custom_details={
            "heartbeatId": monitor.id, "heartbeat": monitor.name, "intervalSeconds": monitor.interval_seconds,
            "graceSeconds": monitor.grace_seconds, "lastPingAt": since.isoformat() if since else None,
            "dueAt": due_at(monitor).isoformat(),
        },
        origin=ORIGIN,
    )


def _ingest(session: Session, clock: Clock, monitor: HeartbeatMonitor, event: Event) -> None:
    # A disabled source takes no events (as over HTTP); one in maintenance records them as IGNORED.
    if monitor.source.status != SourceStatus.DISABLED.value:
        ingest(session, clock, monitor.source, event)


def register(registry: JobRegistry) -> None:
    registry.register(CHECK, check)
