"""Helpers for heartbeat tests: create monitors through the API, ping them, read their alerts."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor
from tocsin.alerts.models import Alert
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus


def create(client: TestClient, actor: Actor, source_id: int, **body: Any) -> Any:
    body.setdefault("name", "Nightly backup")
    body.setdefault("interval", "PT5M")
    body.setdefault("alertSource", {"id": source_id})
    return client.post("/api/heartbeats", headers=actor.headers, json=body)


def created(client: TestClient, actor: Actor, source_id: int, **body: Any) -> dict[str, Any]:
    response = create(client, actor, source_id, **body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def ping(client: TestClient, key: str, method: str = "GET") -> Any:
    response = client.request(method, f"/api/heartbeats/{key}")
    assert response.status_code == 202, response.text
    return response


def alerts(db: Database, monitor_id: int) -> list[Alert]:
    with db.session() as session:
        rows = list(session.scalars(select(Alert).where(Alert.alert_key == f"heartbeat-{monitor_id}")
                                    .order_by(Alert.id)))
        for row in rows:
            session.expunge(row)
        return rows


def pending_checks(db: Database, monitor_id: int) -> list[Job]:
    with db.session() as session:
        rows = list(session.scalars(select(Job).where(Job.kind == "heartbeat.check",
                                                      Job.status == JobStatus.PENDING.value)))
        return [j for j in rows if j.payload.get("heartbeatId") == monitor_id]
