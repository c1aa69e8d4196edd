"""Building schedules through the API in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Actor


def iso(moment: datetime) -> str:
    return moment.isoformat()


def rotation(users: list[Actor], start: datetime, **layer: Any) -> dict[str, Any]:
    return {"start": iso(start), "users": [{"id": u.id} for u in users], **layer}


def create_schedule(client: TestClient, actor: Actor, *, teams: list[int], layers: list[dict[str, Any]],
                    timezone: str = "UTC", name: str = "Primary", **extra: Any) -> dict[str, Any]:
    body = {"name": name, "timezone": timezone, "teams": [{"id": t} for t in teams], "layers": layers, **extra}
    response = client.post("/api/schedules", headers=actor.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def who(shifts: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(user name, start, end, source type) of each shift, times as HH:MM on their day."""
    return [(s["user"]["name"], s["start"][5:16], s["end"][5:16], s["source"]["type"]) for s in shifts]
