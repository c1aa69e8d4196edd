"""One ingest path for every inbound event: dedup by alert key, alert creation modes, durability.

The caller's transaction holds everything an event does (alert row, log entries, inbound event
record, due jobs); the HTTP layer answers 202 only after it commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from tocsin.alerts import lifecycle
from tocsin.alerts.events import Event
from tocsin.alerts.models import (
    OPEN_STATES,
    Alert,
    AlertCreation,
    AlertSource,
    AlertState,
    EventOutcome,
    EventType,
    InboundEvent,
    LogKind,
    SourceStatus,
)
from tocsin.alerts.priority import alert_priority
from tocsin.auth.security import digest
from tocsin.clock import Clock
from tocsin.db import lock_key
from tocsin.engine.queue import enqueue
from tocsin.errors import Problem

AUTO_RESOLVE = "alert.auto_resolve"
# Ingest reads alerts only to update them: none of their joined relationships.
_BARE = lazyload("*")


@dataclass(frozen=True)
class IngestResult:
    alert_key: str
    outcome: EventOutcome
    alert_ids: tuple[int, ...] = ()
    reason: str | None = None


class UnknownIntegrationKey(Problem):
    def __init__(self) -> None:
        super().__init__(404, "no alert source has this integration key", slug="unknown-integration-key")


class DisabledAlertSource(Problem):
    def __init__(self) -> None:
        super().__init__(403, "the alert source for this integration key is disabled", slug="alert-source-disabled")


def source_for_key(session: Session, integration_key: str) -> AlertSource:
    """The alert source an integration key belongs to, or 404/403. Looked up by digest only."""
    key = integration_key.strip()
    source = session.scalar(select(AlertSource).where(AlertSource.key_digest == digest(key))) if key else None
    if source is None:
        raise UnknownIntegrationKey()
    if source.status == SourceStatus.DISABLED.value:
        raise DisabledAlertSource()
    return source


def normalize_key(key: str) -> str:
    return key.strip().lower()


def ingest(session: Session, clock: Clock, source: AlertSource, event: Event) -> IngestResult:
    key = (event.alert_key or "").strip()
    if not key:
        # Only ALERT may come without a key (schemas enforce it); it then opens an alert of its own.
        key = uuid.uuid4().hex
    norm = normalize_key(key)
    if AlertCreation(source.alert_creation) is AlertCreation.ONE_ALERT_GROUPED_PER_WINDOW:
        lock_key(session, "alert-source", source.id)
    else:
        lock_key(session, "alert-key", source.id, norm)

    if event.event_type is EventType.ALERT:
        return _on_alert(session, clock, source, event, key, norm)
    targets = _open_alerts(session, source, norm)
    if not targets:
        reason = "no open alert for this key"
        _record(session, clock, source, event, key, EventOutcome.IGNORED, None, reason)
        return IngestResult(key, EventOutcome.IGNORED, (), reason)
    event_id = _record(session, clock, source, event, key, EventOutcome.APPLIED, targets[0]).id
    via = f"{event.origin} event"
    for alert in targets:
        lifecycle.add_log(
            session, clock, alert, LogKind.EVENT, f"{event.event_type.value} event received",
            inbound_event_id=event_id, data=event.record(),
        )
        if event.event_type is EventType.ACCEPT:
            if alert.state == AlertState.PENDING.value:
                lifecycle.accept(session, clock, alert, actor=None, via=via)
        elif event.event_type is EventType.RESOLVE:
            lifecycle.resolve(session, clock, alert, actor=None, via=via)
        else:
            for c in event.comments:
                lifecycle.comment(session, clock, alert, c.content, actor=None, creator=c.creator)
    return IngestResult(key, EventOutcome.APPLIED, tuple(a.id for a in targets))


def _open_alerts(session: Session, source: AlertSource, norm: str) -> list[Alert]:
    query = (
        select(Alert)
        .where(Alert.alert_source_id == source.id, Alert.alert_key_norm == norm, Alert.state.in_(OPEN_STATES))
        .order_by(Alert.id.desc())
        .with_for_update(of=Alert)
        .options(_BARE)
    )
    return list(session.scalars(query))


def _alert_to_append_to(session: Session, clock: Clock, source: AlertSource, norm: str) -> Alert | None:
    mode = AlertCreation(source.alert_creation)
    base = (
        select(Alert).where(Alert.alert_source_id == source.id).order_by(Alert.id.desc()).limit(1)
        .with_for_update(of=Alert).options(_BARE)
    )
    if mode is AlertCreation.ONE_ALERT_PER_EVENT:
        return None
    if mode is AlertCreation.ONE_OPEN_ALERT_PER_KEY:
        return session.scalar(base.where(Alert.alert_key_norm == norm, Alert.state.in_(OPEN_STATES)))
    if mode is AlertCreation.ONE_PENDING_ALERT_PER_KEY:
        return session.scalar(base.where(Alert.alert_key_norm == norm, Alert.state == AlertState.PENDING.value))
    window = timedelta(seconds=source.grouping_window_seconds or 0)
    return session.scalar(base.where(Alert.state.in_(OPEN_STATES), Alert.created_at > clock.now() - window))


def _on_alert(session: Session, clock: Clock, source: AlertSource, event: Event, key: str, norm: str) -> IngestResult:
    if source.status == SourceStatus.IN_MAINTENANCE.value:
        reason = "alert source is in maintenance"
        _record(session, clock, source, event, key, EventOutcome.IGNORED, None, reason)
        return IngestResult(key, EventOutcome.IGNORED, (), reason)
    now = clock.now()
    alert = _alert_to_append_to(session, clock, source, norm)
    if alert is not None:
        alert.event_count += 1
        alert.last_event_at = now
        row = _record(session, clock, source, event, alert.alert_key, EventOutcome.APPENDED, alert)
        lifecycle.add_log(
            session, clock, alert, LogKind.EVENT, f"Event added to this alert: {event.summary}",
            inbound_event_id=row.id, data=event.record(),
        )
        _schedule_auto_resolution(session, clock, source, alert)
        return IngestResult(alert.alert_key, EventOutcome.APPENDED, (alert.id,))

    alert = Alert(
        alert_source_id=source.id,
        alert_key=key,
        alert_key_norm=norm,
        summary=(event.summary or "")[:1024],
        details=event.details,
        state=AlertState.PENDING.value,
        priority=alert_priority(source, now, event.priority, event.severity).value,
        severity=event.severity.value if event.severity else None,
        images=event.images,
        links=event.links,
        labels=event.labels,
        custom_details=event.custom_details,
        event_count=1,
        created_at=now,
        last_event_at=now,
        escalation_policy_id=source.escalation_policy_id,
    )
    session.add(alert)
    session.flush()
    row = _record(session, clock, source, event, key, EventOutcome.CREATED, alert)
    lifecycle.add_log(
        session, clock, alert, LogKind.EVENT, f"Alert created from {event.origin} event",
        inbound_event_id=row.id, data=event.record(),
    )
    for c in event.comments:
        lifecycle.comment(session, clock, alert, c.content, actor=None, creator=c.creator)
    enqueue(session, clock, lifecycle.ALERT_CREATED, {"alertId": alert.id})
    _schedule_auto_resolution(session, clock, source, alert)
    return IngestResult(key, EventOutcome.CREATED, (alert.id,))


def _schedule_auto_resolution(session: Session, clock: Clock, source: AlertSource, alert: Alert) -> None:
    if not source.auto_resolution_seconds:
        return
    enqueue(
        session, clock, AUTO_RESOLVE, {"alertId": alert.id},
        run_at=alert.last_event_at + timedelta(seconds=source.auto_resolution_seconds),
        dedup_key=f"auto-resolve:{alert.id}", replace=True,
    )


def _record(
    session: Session,
    clock: Clock,
    source: AlertSource,
    event: Event,
    key: str,
    outcome: EventOutcome,
    alert: Alert | None,
    reason: str | None = None,
) -> InboundEvent:
    row = InboundEvent(
        alert_source_id=source.id,
        alert_id=alert.id if alert else None,
        event_type=event.event_type.value,
        alert_key=key[:255],
        outcome=outcome.value,
        reason=reason,
        received_at=clock.now(),
        body=event.record(),
    )
    session.add(row)
    session.flush()
    return row
