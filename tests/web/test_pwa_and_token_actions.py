"""The installable app's files, and POST /api/actions/{token} that push notification buttons call."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.alerts.helpers import open_alert, problem
from tests.conftest import Actor, Factory, Source
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import PUSH_TOKEN_LIFETIME, AlertAction


def test_manifest_service_worker_and_assets(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/alerts" and body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    for icon in body["icons"]:
        fetched = client.get(icon["src"])
        assert fetched.status_code == 200 and fetched.headers["content-type"] == icon["type"]
        assert "immutable" in fetched.headers["cache-control"]
    worker = client.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/"
    assets = json.loads(worker.text.split("const ASSETS = ", 1)[1].split(";", 1)[0])
    assert all(client.get(a).status_code == 200 for a in assets)
    assert "__VERSION__" not in worker.text and "notificationclick" in worker.text


def _token(db: Database, clock: FrozenClock, alert_id: int, action: AlertAction, user_id: int) -> str:
    with db.session(write=True) as session:
        return action_tokens.issue(session, clock, alert_id, action, user_id, PUSH_TOKEN_LIFETIME)


def test_a_token_accepts_then_resolves_as_its_user(client: TestClient, db: Database, clock: FrozenClock,
                                                   responder: Actor, source: Source) -> None:
    alert_id = open_alert(client, source.key)
    accepted = client.post(f"/api/actions/{_token(db, clock, alert_id, AlertAction.ACCEPT, responder.id)}")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["action"], body["changed"], body["alert"]["state"]) == ("accept", True, "ACCEPTED")
    assert body["alert"]["acceptedBy"]["id"] == responder.id
    again = client.post(f"/api/actions/{_token(db, clock, alert_id, AlertAction.ACCEPT, responder.id)}").json()
    assert again["changed"] is False
    resolved = client.post(f"/api/actions/{_token(db, clock, alert_id, AlertAction.RESOLVE, responder.id)}").json()
    assert resolved["alert"]["state"] == "RESOLVED"
    late = client.post(f"/api/actions/{_token(db, clock, alert_id, AlertAction.ACCEPT, responder.id)}")
    assert "resolved" in problem(late, 409)["detail"]


def test_bad_expired_and_foreign_tokens_are_refused(client: TestClient, db: Database, clock: FrozenClock,
                                                    responder: Actor, outsider: Actor, factory: Factory,
                                                    team: int, source: Source) -> None:
    alert_id = open_alert(client, source.key)
    assert problem(client.post("/api/actions/not-a-token"), 400)["type"] == "/problems/invalid-action-token"
    token = _token(db, clock, alert_id, AlertAction.ACCEPT, responder.id)
    problem(client.post(f"/api/actions/{token[:-3]}abc"), 400)
    problem(client.post(f"/api/actions/{_token(db, clock, alert_id, AlertAction.ACCEPT, outsider.id)}"), 404)
    viewer = factory.user(Role.STAKEHOLDER, teams=(team,))
    problem(client.post(f"/api/actions/{_token(db, clock, alert_id, AlertAction.ACCEPT, viewer.id)}"), 403)
    clock.advance(PUSH_TOKEN_LIFETIME + timedelta(seconds=1))
    assert "expired" in problem(client.post(f"/api/actions/{token}"), 400)["detail"]
    assert client.get(f"/api/alerts/{alert_id}", headers=responder.headers).json()["state"] == "PENDING"
