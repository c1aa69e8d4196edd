"""Limits and the edges of routing: body size (413), unknown routes (404), wrong methods (405) and
unexpected failures (500), each answered as problem+json, or in PagerDuty's format on its paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Source
from tocsin.alerts.events_api import _pagerduty_error
from tocsin.alerts.models import Alert, InboundEvent
from tocsin.app import create_app
from tocsin.db import Database
from tocsin.errors import _renderers
from tocsin.settings import Settings

LIMIT = 512 * 1024
PD_PATHS = ("/v2/enqueue", "/api/v2/enqueue")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    return body


def stored(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (session.scalar(select(func.count()).select_from(Alert)) or 0,
                session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


def ilert_event(size: int, key: str | None = None) -> bytes:
    """A valid ilert event of exactly `size` bytes (padded in customDetails)."""
    body: dict[str, Any] = {"eventType": "ALERT", "summary": "Disk full", "customDetails": {"pad": ""}}
    if key:
        body["integrationKey"] = key
    base = len(json.dumps(body).encode())
    body["customDetails"]["pad"] = "x" * (size - base)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


def pagerduty_event(size: int, key: str) -> bytes:
    body: dict[str, Any] = {"routing_key": key, "event_action": "trigger",
                            "payload": {"summary": "Disk full", "source": "db-1", "severity": "error",
                                        "custom_details": {"pad": ""}}}
    base = len(json.dumps(body).encode())
    body["payload"]["custom_details"]["pad"] = "x" * (size - base)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


def chunks(raw: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


# --- 413 ----------------------------------------------------------------------------------------


def test_body_at_the_limit_is_accepted(client: TestClient, db: Database, source: Source) -> None:
    response = client.post("/api/events", content=ilert_event(LIMIT, source.key),
                           headers={"content-type": "application/json"})
    assert response.status_code == 202, response.text
    assert stored(db) == (1, 1)


def test_body_over_the_limit_with_content_length_is_413(client: TestClient, db: Database, source: Source) -> None:
    raw = ilert_event(LIMIT + 1, source.key)
    response = client.post("/api/events", content=raw, headers={"content-type": "application/json"})
    body = problem(response, 413)
    assert body["type"] == "/problems/payload-too-large"
    assert str(LIMIT) in body["detail"]
    assert body["instance"] == "/api/events"
    assert response.headers["connection"] == "close"
    assert stored(db) == (0, 0)


def test_streamed_body_over_the_limit_without_content_length_is_413(
    client: TestClient, db: Database, source: Source
) -> None:
    raw = ilert_event(LIMIT + 1, source.key)
    response = client.post(f"/api/events/{source.key}", content=chunks(raw),
                           headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    problem(response, 413)
    assert stored(db) == (0, 0)


@pytest.mark.parametrize("path", PD_PATHS)
def test_pagerduty_413_is_in_pagerduty_format(client: TestClient, db: Database, source: Source, path: str) -> None:
    raw = pagerduty_event(LIMIT + 1, source.key)
    for content in (raw, chunks(raw)):
        response = client.post(path, content=content, headers={"content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {"status", "message", "errors"}
        assert body["status"] == "invalid event"
        assert str(LIMIT) in body["message"]
        assert body["errors"] and all(isinstance(e, str) for e in body["errors"])
    assert stored(db) == (0, 0)
    at_limit = client.post(path, content=pagerduty_event(LIMIT, source.key))
    assert at_limit.status_code == 202, at_limit.text
    assert at_limit.json()["status"] == "success"


class RawCall:
    """Calls the ASGI app directly, the body in many chunks without Content-Length, as a proxy would."""

    def __init__(self, app: FastAPI, path: str, body: bytes, chunk: int = 16 * 1024) -> None:
        self.app = app
        self.path = path
        self.parts = list(chunks(body, chunk))
        self.read = 0
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""

    async def _receive(self) -> dict[str, Any]:
        if self.read >= len(self.parts):
            return {"type": "http.disconnect"}
        part = self.parts[self.read]
        self.read += 1
        return {"type": "http.request", "body": part, "more_body": self.read < len(self.parts)}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def __call__(self) -> RawCall:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": self.path, "raw_path": self.path.encode(), "root_path": "",
            "query_string": b"", "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                                              (b"transfer-encoding", b"chunked")],
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        }
        anyio.run(self.app, scope, self._receive, self._send)
        return self


def test_chunked_body_is_cut_off_soon_after_the_limit(app: FastAPI, db: Database, source: Source) -> None:
    call = RawCall(app, "/api/events", ilert_event(4 * LIMIT, source.key))()
    assert call.status == 413
    assert call.headers["content-type"] == "application/problem+json"
    assert json.loads(call.body)["status"] == 413
    # 512 KiB in 16 KiB chunks: the 33rd chunk goes over; the other 1.5 MiB is never read.
    assert call.read == LIMIT // (16 * 1024) + 1
    assert stored(db) == (0, 0)


def test_chunked_body_under_the_limit_reaches_the_route_whole(app: FastAPI, db: Database, source: Source) -> None:
    call = RawCall(app, "/api/events", ilert_event(LIMIT - 1000, source.key))()
    assert call.status == 202, call.body
    assert call.read == len(call.parts)
    assert stored(db) == (1, 1)


def test_declared_length_over_the_limit_is_refused_before_reading(app: FastAPI, db: Database) -> None:
    call = RawCall(app, "/api/events", b"{}")
    call.parts = [b"{}"]

    async def never_read() -> dict[str, Any]:
        raise AssertionError("the body was read although Content-Length is over the limit")

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/events", "raw_path": b"/api/events", "root_path": "", "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", str(LIMIT + 1).encode())],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    anyio.run(app, scope, never_read, call._send)
    assert call.status == 413
    assert json.loads(call.body)["type"] == "/problems/payload-too-large"


# --- 404, 405 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/nope", "/nope", "/api/alerts/1/nope", "/v2/nope"])
def test_unknown_route_is_404_problem(client: TestClient, path: str) -> None:
    body = problem(client.get(path), 404)
    assert body["type"] == "/problems/not-found"
    assert body["instance"] == path
    assert path in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/alerts", {"GET"}),
        ("PATCH", "/api/teams/1", {"GET", "PUT", "DELETE"}),
        ("GET", "/api/events", {"POST"}),
        ("PUT", "/healthz", {"GET"}),
    ],
)
def test_wrong_method_is_405_problem(client: TestClient, method: str, path: str, allowed: set[str]) -> None:
    response = client.request(method, path)
    body = problem(response, 405)
    assert body["type"] == "/problems/method-not-allowed"
    assert method in body["detail"]
    assert {m.strip() for m in response.headers["allow"].split(",")} >= allowed


def test_wrong_method_on_pagerduty_path_is_405(client: TestClient) -> None:
    response = client.get("/v2/enqueue")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


# --- 500 ----------------------------------------------------------------------------------------

SECRET = "connection string postgresql://tocsin:hunter2@db/tocsin"


def _failing_app(db: Database, paths: tuple[str, ...]) -> FastAPI:
    app = create_app(Settings(database_url=db.url), db=db)

    def explode() -> None:
        raise RuntimeError(SECRET)

    for path in paths:
        app.add_api_route(path, explode, methods=["GET", "POST"])
    return app


def test_handler_exception_is_500_problem_without_internals(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    app = _failing_app(db, ("/api/boom",))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/boom", json={"x": 1})
    body = problem(response, 500)
    assert body == {"type": "/problems/internal", "title": "Internal server error", "status": 500,
                    "detail": "an unexpected error occurred; it has been logged", "instance": "/api/boom"}
    for leak in ("Traceback", "RuntimeError", "hunter2", "explode", ".py"):
        assert leak not in response.text
    # The details are for the log, not the client.
    assert any("hunter2" in (r.exc_text or "") or "hunter2" in str(r.exc_info) for r in caplog.records)


def test_handler_exception_on_a_pagerduty_path_is_500_in_pagerduty_format(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(_renderers, "/v2/boom", _pagerduty_error)
    app = _failing_app(db, ("/v2/boom",))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v2/boom", json={})
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "error"
    assert set(body) == {"status", "message", "errors"}
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
