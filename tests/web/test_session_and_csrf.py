"""Login, logout, CSRF on every write, security headers, the login redirect."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.alerts.helpers import open_alert
from tests.conftest import Actor, Source
from tests.web.helpers import HTMX, post, token, web_login
from tocsin.deps import SESSION_COOKIE


def test_pages_send_a_stranger_to_the_login_page_and_back(client: TestClient, responder: Actor) -> None:
    response = client.get("/profile", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fprofile"
    htmx = client.get("/alerts/rows", headers=HTMX)
    assert htmx.headers["HX-Redirect"] == "/login"
    form = token(client, "/login?next=%2Fprofile")
    done = client.post("/login", data={"csrf_token": form, "email": responder.email, "password": responder.password,
                                       "next": "/profile"}, follow_redirects=False)
    assert done.headers["location"] == "/profile"
    assert client.get("/profile").status_code == 200


def test_login_refuses_a_wrong_password_and_an_outside_redirect(client: TestClient, responder: Actor) -> None:
    form = token(client, "/login")
    wrong = client.post("/login", data={"csrf_token": form, "email": responder.email, "password": "nope-nope"})
    assert wrong.status_code == 401
    assert "wrong email or password" in wrong.text
    assert SESSION_COOKIE not in client.cookies
    done = client.post("/login", data={"csrf_token": form, "email": responder.email, "password": responder.password,
                                       "next": "//evil.example/x"}, follow_redirects=False)
    assert done.headers["location"] == "/alerts"


def test_login_without_the_forms_token_is_refused(client: TestClient, responder: Actor) -> None:
    response = client.post("/login", data={"email": responder.email, "password": responder.password})
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_every_write_needs_the_sessions_csrf_token(client: TestClient, responder: Actor, source: Source) -> None:
    alert_id = open_alert(client, source.key)
    web_login(client, responder)
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        refused = client.post(f"/alerts/{alert_id}/accept", headers=headers, data={"view": "detail"})
        assert refused.status_code == 403
        assert "reload the page" in refused.text
    assert client.get(f"/api/alerts/{alert_id}", headers=responder.headers).json()["state"] == "PENDING"
    # The token of another session does not work either.
    other = TestClient(client.app)
    web_login(other, responder)
    foreign = token(other, "/alerts")
    assert client.post(f"/alerts/{alert_id}/accept", headers={"X-CSRF-Token": foreign}).status_code == 403
    accepted = client.post(f"/alerts/{alert_id}/accept", headers={**HTMX, "X-CSRF-Token": token(client, "/alerts")},
                           data={"view": "detail"})
    assert accepted.status_code == 200
    assert client.get(f"/api/alerts/{alert_id}", headers=responder.headers).json()["state"] == "ACCEPTED"


def test_logout_ends_the_session(client: TestClient, responder: Actor) -> None:
    web_login(client, responder)
    response = post(client, "/logout", page="/alerts")
    assert response.headers["location"] == "/login"
    assert client.get("/alerts", follow_redirects=False).status_code == 303


def test_pages_carry_a_strict_content_security_policy(client: TestClient, responder: Actor) -> None:
    web_login(client, responder)
    for path in ("/alerts", "/login", "/profile"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
