"""Job kinds the alerts package owns or announces."""

from __future__ import annotations

from datetime import timedelta

from tocsin.alerts import lifecycle
from tocsin.alerts.ingest import AUTO_RESOLVE
from tocsin.alerts.models import OPEN_STATES, Alert
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry


def auto_resolve(ctx: JobContext) -> None:
    """Resolve an open alert once its source's timeout has passed with no new event."""
    alert = ctx.session.get(Alert, ctx.payload["alertId"], with_for_update={"of": Alert})
    if alert is None or alert.state not in OPEN_STATES or not alert.source.auto_resolution_seconds:
        return
    timeout = timedelta(seconds=alert.source.auto_resolution_seconds)
    due = alert.last_event_at + timeout
    if due > ctx.clock.now():
        # An event arrived after this timer was set; wait for the new deadline.
        enqueue(ctx.session, ctx.clock, AUTO_RESOLVE, {"alertId": alert.id}, run_at=due,
                dedup_key=f"auto-resolve:{alert.id}", replace=True)
        return
    lifecycle.resolve(ctx.session, ctx.clock, alert, actor=None, via=f"auto-resolution after {timeout} without events")


def register(registry: JobRegistry) -> None:
    # Announced for the escalation engine, which subscribes to them.
    registry.declare(lifecycle.ALERT_CREATED)
    registry.declare(lifecycle.ALERT_CHANGED)
    registry.register(AUTO_RESOLVE, auto_resolve)
