"""A missed interval raises an alert through the engine; the next ping resolves it. Frozen clock, real worker."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor, Factory, Source
from tests.heartbeats.helpers import alerts, created, pending_checks, ping
from tocsin.alerts.models import InboundEvent
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.worker import Worker


def state(client: TestClient, actor: Actor, monitor_id: int) -> str:
    body = client.get(f"/api/heartbeats/{monitor_id}", headers=actor.headers).json()
    result: str = body["state"]
    return result


def test_no_ping_within_interval_and_grace_raises_one_alert(client: TestClient, member: Actor, source: Source,
                                                            clock: FrozenClock, worker: Worker,
                                                            db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT5M", gracePeriod="PT1M")
    clock.advance(timedelta(minutes=6) - timedelta(seconds=1))
    worker.run_until_idle()
    assert alerts(db, monitor["id"]) == []
    assert state(client, member, monitor["id"]) == "NEW"

    clock.advance(timedelta(seconds=1))
    assert state(client, member, monitor["id"]) == "OVERDUE"  # late, even before the check has run
    worker.run_until_idle()
    [alert] = alerts(db, monitor["id"])
    assert (alert.state, alert.alert_source_id, alert.priority) == ("PENDING", source.id, "HIGH")
    assert alert.summary == 'Heartbeat "Nightly backup" missed: no ping within 5 min'
    assert alert.details == "Expected a ping every 5 min (grace 1 min); no ping has come since it was created."
    assert alert.custom_details["heartbeatId"] == monitor["id"]
    assert alert.custom_details["lastPingAt"] is None

    # Nothing more happens while it stays silent: one alert per outage, no job left behind.
    clock.advance(timedelta(hours=3))
    worker.run_until_idle()
    [again] = alerts(db, monitor["id"])
    assert again.event_count == 1
    assert pending_checks(db, monitor["id"]) == []
    assert state(client, member, monitor["id"]) == "OVERDUE"


def test_each_ping_moves_the_deadline(client: TestClient, member: Actor, source: Source, clock: FrozenClock,
                                      worker: Worker, db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT5M", gracePeriod=0)
    for _ in range(5):
        clock.advance(timedelta(minutes=4))
        ping(client, monitor["pingKey"])
        worker.run_until_idle()
    assert alerts(db, monitor["id"]) == []
    assert state(client, member, monitor["id"]) == "UP"
    [job] = pending_checks(db, monitor["id"])
    assert job.run_at == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    worker.run_until_idle()
    [alert] = alerts(db, monitor["id"])
    assert f"the last ping came at {(clock.now() - timedelta(minutes=5)).isoformat()}" in (alert.details or "")


def test_a_check_that_fires_after_a_late_ping_waits_for_the_new_deadline(
        client: TestClient, member: Actor, source: Source, clock: FrozenClock, worker: Worker, db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT5M", gracePeriod=0)
    # The worker was down: the check comes due, then a ping arrives before anyone runs the check.
    clock.advance(timedelta(minutes=5, seconds=30))
    ping(client, monitor["pingKey"])
    worker.run_until_idle()
    assert alerts(db, monitor["id"]) == []
    assert state(client, member, monitor["id"]) == "UP"


def test_the_next_ping_resolves_the_alert_and_watching_starts_again(
        client: TestClient, member: Actor, source: Source, clock: FrozenClock, worker: Worker, db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT1M", gracePeriod=0, summary="Cron on db-1 is silent")
    clock.advance(timedelta(minutes=1))
    worker.run_until_idle()
    [alert] = alerts(db, monitor["id"])
    assert alert.summary == "Cron on db-1 is silent"

    clock.advance(timedelta(minutes=10))
    assert ping(client, monitor["pingKey"]).json() == {"status": "accepted", "state": "UP"}
    [alert] = alerts(db, monitor["id"])
    assert alert.state == "RESOLVED"
    assert alert.resolved_at == clock.now()
    with db.session() as session:
        kinds = [(e.event_type, e.outcome) for e in session.scalars(
            select(InboundEvent).where(InboundEvent.alert_key == f"heartbeat-{monitor['id']}")
            .order_by(InboundEvent.id))]
    assert kinds == [("ALERT", "CREATED"), ("RESOLVE", "APPLIED")]

    # A second ping resolves nothing more; the next silence opens a new alert.
    ping(client, monitor["pingKey"])
    clock.advance(timedelta(minutes=1))
    worker.run_until_idle()
    first, second = alerts(db, monitor["id"])
    assert (first.state, second.state) == ("RESOLVED", "PENDING")


def test_a_paused_monitor_raises_nothing(client: TestClient, member: Actor, source: Source, clock: FrozenClock,
                                         worker: Worker, db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT1M", gracePeriod=0)
    client.put(f"/api/heartbeats/{monitor['id']}", headers=member.headers, json={"status": "PAUSED"})
    clock.advance(timedelta(days=2))
    worker.run_until_idle()
    assert alerts(db, monitor["id"]) == []
    # A ping while paused is recorded but schedules no check.
    ping(client, monitor["pingKey"])
    assert pending_checks(db, monitor["id"]) == []
    assert state(client, member, monitor["id"]) == "UP"


def test_a_check_already_claimed_when_the_monitor_is_paused_does_nothing(
        client: TestClient, member: Actor, source: Source, clock: FrozenClock, worker: Worker, db: Database) -> None:
    monitor = created(client, member, source.id, interval="PT1M", gracePeriod=0)
    clock.advance(timedelta(minutes=1))
    claimed = worker.claim()
    client.put(f"/api/heartbeats/{monitor['id']}", headers=member.headers, json={"status": "PAUSED"})
    for job_id in claimed:
        assert worker.run_job(job_id)
    assert alerts(db, monitor["id"]) == []


def test_alerts_follow_the_sources_rules(client: TestClient, member: Actor, factory: Factory, team: int,
                                         clock: FrozenClock, worker: Worker, db: Database) -> None:
    low = factory.source(teams=(team,), priority_rule="LOW")
    maintenance = factory.source(teams=(team,), status="IN_MAINTENANCE")
    disabled = factory.source(teams=(team,), status="DISABLED")
    on_low, on_maintenance, on_disabled = (
        created(client, member, s.id, interval="PT1M", gracePeriod=0) for s in (low, maintenance, disabled))
    clock.advance(timedelta(minutes=1))
    worker.run_until_idle()
    [alert] = alerts(db, on_low["id"])
    assert alert.priority == "LOW"
    assert alerts(db, on_maintenance["id"]) == []
    assert alerts(db, on_disabled["id"]) == []
    with db.session() as session:
        ignored = session.scalars(select(InboundEvent.outcome).where(InboundEvent.alert_source_id == maintenance.id))
        assert list(ignored) == ["IGNORED"]
        assert list(session.scalars(select(InboundEvent).where(InboundEvent.alert_source_id == disabled.id))) == []
    # A disabled source takes nothing, but the monitor itself shows the outage.
    assert state(client, member, on_disabled["id"]) == "OVERDUE"
