"""Making coverage requests in tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Actor


def shift(schedule: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    """A range of the schedule; times as '03-04T12:00' in March 2026, UTC."""
    return {"schedule": {"id": schedule["id"]}, "start": f"2026-{start}:00Z", "end": f"2026-{end}:00Z"}


def ask(client: TestClient, actor: Actor, receiver: Actor | None, *shifts: dict[str, Any], **extra: Any) -> Any:
    body: dict[str, Any] = {"shifts": list(shifts), **extra}
    if receiver is not None:
        body["receiver"] = {"id": receiver.id}
    return client.post("/api/coverage-requests", headers=actor.headers, json=body)


def made(client: TestClient, actor: Actor, receiver: Actor | None, *shifts: dict[str, Any],
         **extra: Any) -> dict[str, Any]:
    response = ask(client, actor, receiver, *shifts, **extra)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def act(client: TestClient, actor: Actor, request: dict[str, Any], action: str, **body: Any) -> Any:
    return client.put(f"/api/coverage-requests/{request['id']}/{action}", headers=actor.headers,
                      json=body or None)


def on_call(client: TestClient, actor: Actor, schedule: dict[str, Any], at: str) -> str | None:
    answer = client.get(f"/api/schedules/{schedule['id']}/on-call", headers=actor.headers,
                        params={"at": f"2026-{at}:00Z"}).json()
    return answer["user"]["name"] if answer["user"] else None
