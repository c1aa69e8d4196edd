"""/actions/{token}: the confirm page a message's accept/resolve link opens, and the POST that acts."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.alerts.helpers import open_alert
from tests.conftest import Actor, Factory, Source
from tocsin.alerts.models import Alert, AlertLogEntry
from tocsin.auth import service as auth
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import EMAIL_TOKEN_LIFETIME, AlertAction
from tocsin.notifications.models import AppSecret

EVIL = "<script>alert(1)</script> Disk full"


@pytest.fixture
def alert_id(client: TestClient, source: Source) -> int:
    return open_alert(client, source.key, summary=EVIL)


def issue(db: Database, clock: FrozenClock, alert_id: int, action: AlertAction, user: Actor) -> str:
    with db.session(write=True) as session:
        return action_tokens.issue(session, clock, alert_id, action, user.id, EMAIL_TOKEN_LIFETIME)


def snapshot(db: Database, alert_id: int) -> tuple[str, int, int]:
    """Alert state, number of log entries, number of jobs: what an action would change."""
    with db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        log = session.scalar(select(func.count()).select_from(AlertLogEntry).where(AlertLogEntry.alert_id == alert_id))
        jobs = session.scalar(select(func.count()).select_from(Job))
        return alert.state, log or 0, jobs or 0


def state_of(db: Database, alert_id: int) -> tuple[str, int | None, int | None]:
    with db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.state, alert.accepted_by_id, alert.resolved_by_id


def html_page(response: httpx.Response, status: int) -> str:
    """The page's text, once it is known to be a page with our security headers and this status."""
    assert response.status_code == status, response.text
    headers = response.headers
    assert headers["content-type"].startswith("text/html")
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp and "form-action 'self'" in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert "Traceback" not in response.text and "<script>" not in response.text
    return response.text


def test_get_shows_a_form_and_changes_nothing(client: TestClient, db: Database, clock: FrozenClock,
                                              responder: Actor, alert_id: int) -> None:
    before = snapshot(db, alert_id)
    for action, verb in ((AlertAction.ACCEPT, "Accept"), (AlertAction.RESOLVE, "Resolve")):
        token = issue(db, clock, alert_id, action, responder)
        for _ in range(2):  # a mail scanner may fetch a link more than once
            page = html_page(client.get(f"/actions/{token}"), 200)
            assert '<form method="post">' in page
            assert f"{verb} alert #{alert_id}</button>" in page
            assert "&lt;script&gt;alert(1)&lt;/script&gt; Disk full" in page
            assert "You act as Rita Responder." in page
    assert snapshot(db, alert_id) == before


def test_post_accepts_as_the_token_user(client: TestClient, db: Database, clock: FrozenClock, responder: Actor,
                                        admin: Actor, alert_id: int) -> None:
    token = issue(db, clock, alert_id, AlertAction.ACCEPT, responder)
    # Under Referrer-Policy: no-referrer a browser posts the form with "Origin: null"; that is fine.
    page = html_page(client.post(f"/actions/{token}", headers={"Origin": "null"}), 200)
    assert f"You accepted alert #{alert_id}" in page and "Escalation has stopped." in page
    assert state_of(db, alert_id) == ("ACCEPTED", responder.id, None)
    log = [e["message"] for e in client.get(f"/api/alerts/{alert_id}/log", headers=admin.headers).json()]
    assert "Alert accepted by Rita Responder" in log
    # The same link again: nothing to do, and it says so.
    page = html_page(client.post(f"/actions/{token}"), 200)
    assert f"Alert #{alert_id} is already accepted" in page and "accepted by Rita Responder" in page
    page = html_page(client.get(f"/actions/{token}"), 200)
    assert f"Alert #{alert_id} is already accepted" in page and "<form" not in page


def test_resolve_then_reused_links_say_it_is_resolved(client: TestClient, db: Database, clock: FrozenClock,
                                                      responder: Actor, alert_id: int) -> None:
    accept = issue(db, clock, alert_id, AlertAction.ACCEPT, responder)
    resolve = issue(db, clock, alert_id, AlertAction.RESOLVE, responder)
    page = html_page(client.post(f"/actions/{resolve}"), 200)
    assert f"You resolved alert #{alert_id}" in page
    assert state_of(db, alert_id) == ("RESOLVED", None, responder.id)
    before = snapshot(db, alert_id)
    for method, token in (("POST", resolve), ("GET", resolve), ("POST", accept), ("GET", accept)):
        page = html_page(client.request(method, f"/actions/{token}"), 409)
        assert f"Alert #{alert_id} is already resolved" in page and "resolved by Rita Responder" in page
        assert "<form" not in page
    assert snapshot(db, alert_id) == before


def test_expired_link(client: TestClient, db: Database, clock: FrozenClock, responder: Actor,
                      alert_id: int) -> None:
    token = issue(db, clock, alert_id, AlertAction.ACCEPT, responder)
    clock.advance(timedelta(hours=25))
    before = snapshot(db, alert_id)
    for method in ("GET", "POST"):
        page = html_page(client.request(method, f"/actions/{token}"), 400)
        assert "This link has expired" in page
    assert snapshot(db, alert_id) == before


def _forge(token: str, **changes: object) -> str:
    body, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{forged}.{mac}"


@pytest.mark.parametrize("mangle", [
    pytest.param(lambda t, other: _forge(t, a=other), id="other-alert"),
    pytest.param(lambda t, other: _forge(t, x="resolve"), id="other-action"),
    pytest.param(lambda t, other: _forge(t, e=2_000_000_000), id="longer-life"),
    pytest.param(lambda t, other: t[:-3], id="cut-short"),
    pytest.param(lambda t, other: "garbage", id="garbage"),
    pytest.param(lambda t, other: "ä.ö", id="non-ascii"),
    pytest.param(lambda t, other: "A" * 5000, id="huge"),
])
def test_tampered_link_acts_on_nothing(client: TestClient, db: Database, clock: FrozenClock, responder: Actor,
                                       source: Source, alert_id: int, mangle: object) -> None:
    other = open_alert(client, source.key, summary="Another alert", alertKey="b")
    token = issue(db, clock, alert_id, AlertAction.ACCEPT, responder)
    forged = mangle(token, other)  # type: ignore[operator]
    before = snapshot(db, alert_id), snapshot(db, other)
    for method in ("GET", "POST"):
        page = html_page(client.request(method, f"/actions/{forged}"), 400)
        assert "This link is not valid" in page
    assert (snapshot(db, alert_id), snapshot(db, other)) == before


def test_a_link_does_not_work_for_someone_who_lost_access(client: TestClient, db: Database, clock: FrozenClock,
                                                         responder: Actor, team: int, alert_id: int) -> None:
    token = issue(db, clock, alert_id, AlertAction.ACCEPT, responder)
    with db.session(write=True) as session:  # removed from the team after the message went out
        auth.set_team_members(session, auth.get_team(session, team), [])
    before = snapshot(db, alert_id)
    for method in ("GET", "POST"):
        page = html_page(client.request(method, f"/actions/{token}"), 403)
        assert "You cannot act on this alert" in page
        assert "Disk full" not in page  # and is not shown what it is about any more
    assert snapshot(db, alert_id) == before


def test_read_only_users_cannot_act(client: TestClient, db: Database, clock: FrozenClock, factory: Factory,
                                    team: int, alert_id: int) -> None:
    stakeholder = factory.user(Role.STAKEHOLDER, teams=(team,))
    token = issue(db, clock, alert_id, AlertAction.ACCEPT, stakeholder)
    before = snapshot(db, alert_id)
    for method in ("GET", "POST"):
        page = html_page(client.request(method, f"/actions/{token}"), 403)
        assert "read-only" in page
    assert snapshot(db, alert_id) == before


def test_a_fresh_server_refuses_links_without_making_a_key(client: TestClient, db: Database) -> None:
    html_page(client.get("/actions/eyJhIjoxfQ.c2ln"), 400)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AppSecret)) == 0


def test_pages_are_not_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not any(path.startswith("/actions") for path in paths)
