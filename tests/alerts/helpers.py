"""Small helpers for alert tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def send(client: TestClient, key: str, **body: Any) -> Any:
    """POST an ilert-format event (ALERT with a default summary unless told otherwise)."""
    body.setdefault("eventType", "ALERT")
    if body["eventType"] == "ALERT":
        body.setdefault("summary", "Disk full on db-1")
    return client.post(f"/api/events/{key}", json=body)


def open_alert(client: TestClient, key: str, **body: Any) -> int:
    """Create an alert through the events API and return its id."""
    response = send(client, key, **body)
    assert response.status_code == 202, response.text
    return alert_id_for(client, key, response.json()["alertKey"])


def alert_id_for(client: TestClient, integration_key: str, alert_key: str) -> int:
    from tocsin.alerts.models import Alert

    app_state = client.app.state.tocsin  # type: ignore[attr-defined]
    with app_state.db.session() as session:
        from sqlalchemy import select

        alert_id = session.scalar(select(Alert.id).where(Alert.alert_key == alert_key).order_by(Alert.id.desc()))
    assert alert_id is not None
    return int(alert_id)


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem answer with this status and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"] and body["detail"]
    return body
