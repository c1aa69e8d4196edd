"""Inbound requests from monitoring tools: find the alert source, let its adapter read the request, ingest.

The adapter runs outside any database transaction (the SNS adapter may fetch a certificate); the events
it returns are then ingested together, with the test record if it was a test, in one write transaction
that commits before the caller answers 2xx. A request refused anywhere writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tocsin.alerts.events import MAX_SUMMARY_LENGTH, Event
from tocsin.alerts.ingest import DisabledAlertSource, IngestResult, UnknownIntegrationKey, ingest, source_for_key
from tocsin.alerts.models import Alert, AlertSource, EventOutcome, EventType, InboundEvent, SourceStatus
from tocsin.alerts.visibility import can_see_source
from tocsin.auth.models import User
from tocsin.deps import AppState
from tocsin.engine.queue import queued_due_work
from tocsin.errors import Problem, not_found
from tocsin.integrations import registry
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import fit_key
from tocsin.schemas import check_storable

TEST = "TEST"
# Types that exist but take no requests at /api/integrations, and where their events go instead.
ELSEWHERE = {
    "API": "send events to /api/events/{integrationKey} (ilert format) or /v2/enqueue (PagerDuty Events API v2)",
    "EMAIL": "it takes email, not HTTP requests",
    "HEARTBEAT": "it takes pings at /api/heartbeats/{key}",
}


@dataclass(frozen=True)
class SourceSnapshot:
    id: int
    integration_type: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class Received:
    parsed: Parsed
    results: list[IngestResult]


def find_source(state: AppState, integration_key: str) -> SourceSnapshot:
    """The source of a key (404 unknown, 403 disabled), read without holding a write lock."""
    with state.db.session() as session:
        source = source_for_key(session, integration_key)
        return SourceSnapshot(source.id, source.integration_type, dict(source.integration_settings or {}))


def integration_for(integration_type: str) -> Integration:
    integration = registry.get(integration_type)
    if integration is not None:
        return integration
    where = ELSEWHERE.get(integration_type, "no adapter handles this type")
    raise Problem(400, f"this alert source's integrationType is {integration_type}: {where}",
                  field="integrationType", slug="wrong-integration-type")


def prepare(event: Event, integration: Integration) -> Event:
    """What ingest needs to hold for any adapter's event: storable, a key that fits, a summary for ALERT."""
    try:
        check_storable(event.record())
    except ValueError as exc:
        raise BadPayload(f"the request holds what cannot be stored: {exc}", field="body") from None
    key = fit_key(event.alert_key) if event.alert_key and event.alert_key.strip() else None
    if key is None and event.event_type is not EventType.ALERT:
        raise BadPayload(f"a {event.event_type.value} event needs an alert key, and this request gave none",
                         field="body")
    summary = (event.summary or "").strip()[:MAX_SUMMARY_LENGTH] or None
    if event.event_type is EventType.ALERT and summary is None:
        summary = f"Alert from {integration.name}"
    labels = {str(k)[:255]: str(v)[:1024] for k, v in event.labels.items()}
    return replace(event, alert_key=key, summary=summary, labels=labels)


def store(state: AppState, source_id: int, events: list[Event], *, test_note: str | None = None,
          test_origin: str = "") -> list[IngestResult]:
    """Ingest the events (and record a test) in one transaction; committed when this returns."""
    state.event_limiter.check(f"alert-source:{source_id}", "events for this integration key")
    for _ in range(len(events) - 1):
        state.event_limiter.check(f"alert-source:{source_id}", "events for this integration key")
    with state.db.session(write=True) as session:
        source = session.get(AlertSource, source_id)
        if source is None:
            raise UnknownIntegrationKey()
        if source.status == SourceStatus.DISABLED.value:
            raise DisabledAlertSource()
        results = [ingest(session, state.clock, source, event) for event in events]
        if test_note is not None:
            record_test(session, state.clock.now(), source, test_note, test_origin)
    if queued_due_work(session):
        state.jobs_waiting.set()
    return results


def record_test(session: Any, now: datetime, source: AlertSource, note: str, origin: str) -> InboundEvent:
    row = InboundEvent(alert_source_id=source.id, alert_id=None, event_type=TEST, alert_key="",
                       outcome=EventOutcome.TEST.value, reason=note[:255], received_at=now,
                       body={"integrationType": source.integration_type, "origin": origin, "note": note})
    session.add(row)
    session.flush()
    return row


def receive(state: AppState, integration_key: str, request: InboundRequest) -> Received:
    """A request at /api/integrations: the source's integration type picks the adapter."""
    snapshot = find_source(state, integration_key)
    integration = integration_for(snapshot.integration_type)
    return _run(state, snapshot.id, integration, request, snapshot.settings)


def receive_as(state: AppState, integration_key: str, request: InboundRequest, integration: Integration) -> Received:
    """A request at a vendor-shaped path (PagerDuty v1's): that vendor's adapter, whatever the source's type."""
    snapshot = find_source(state, integration_key)
    settings = snapshot.settings if snapshot.integration_type == integration.type else {}
    return _run(state, snapshot.id, integration, request, settings)


def _run(state: AppState, source_id: int, integration: Integration, request: InboundRequest,
         settings: dict[str, Any]) -> Received:
    parsed = integration.parse(replace(request, fetcher=state.fetcher), settings)
    events = [prepare(event, integration) for event in parsed.events]
    note = (parsed.note or f"{integration.name} test notification") if parsed.test else None
    results = store(state, source_id, [] if parsed.test else events, test_note=note,
                    test_origin=integration.type)
    return Received(parsed, results)


# --- what arrived, for the user --------------------------------------------------------------


def inbound_events(session: Any, user: User, source_id: int, *, limit: int, before_id: int | None,
                   outcome: str | None) -> tuple[list[InboundEvent], int | None]:
    source = session.get(AlertSource, source_id)
    if source is None or not can_see_source(user, source):
        raise not_found("alert source")
    query = select(InboundEvent).where(InboundEvent.alert_source_id == source_id)
    if before_id is not None:
        query = query.where(InboundEvent.id < before_id)
    if outcome is not None:
        query = query.where(InboundEvent.outcome == outcome)
    rows = list(session.scalars(query.order_by(InboundEvent.id.desc()).limit(limit + 1)))
    next_id = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_id


def alert_key_of(state: AppState, source_id: int, alert_id: int) -> str:
    """The key of one of this source's alerts (404 for any other alert: ids of other sources stay hidden)."""
    with state.db.session() as session:
        key = session.scalar(select(Alert.alert_key).where(Alert.id == alert_id, Alert.alert_source_id == source_id))
    if key is None:
        raise not_found("alert")
    return key
