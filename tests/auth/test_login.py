"""Web login: the session cookie, its attributes, logout, expiry and the cross-origin check."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.auth.helpers import cookie_attributes, login, ok, problem, set_cookie_headers
from tests.conftest import Actor, Factory
from tocsin.app import create_app
from tocsin.auth.models import LoginSession, Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.deps import SESSION_COOKIE
from tocsin.settings import Settings


def session_rows(db: Database) -> list[LoginSession]:
    with db.session() as session:
        rows = list(session.scalars(select(LoginSession).order_by(LoginSession.id)))
        for row in rows:
            session.expunge(row)
        return rows


def use_cookie(client: TestClient, token: str) -> None:
    """Make the client send exactly this session cookie."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)


def test_login_sets_an_httponly_samesite_lax_cookie(client: TestClient, responder: Actor) -> None:
    response = client.post("/api/auth/login", json={"email": responder.email, "password": responder.password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["email"], body["role"]) == (responder.id, responder.email, "RESPONDER")
    [header] = set_cookie_headers(response)
    attrs = cookie_attributes(header)
    assert "httponly" in attrs
    assert attrs["samesite"].lower() == "lax"
    assert attrs["path"] == "/"
    assert int(attrs["max-age"]) == 14 * 86400
    assert "secure" not in attrs  # plain http: a Secure cookie would never come back


def test_login_over_https_sets_a_secure_cookie(https_client: TestClient, responder: Actor) -> None:
    response = https_client.post("/api/auth/login", json={"email": responder.email, "password": responder.password})
    assert response.status_code == 200, response.text
    [header] = set_cookie_headers(response)
    attrs = cookie_attributes(header)
    assert "secure" in attrs and "httponly" in attrs and attrs["samesite"].lower() == "lax"
    assert ok(https_client.get("/api/users/me"))["id"] == responder.id
    logout = https_client.post("/api/auth/logout", headers={"Origin": "https://testserver"})
    assert logout.status_code == 204
    [cleared] = set_cookie_headers(logout)
    attrs = cookie_attributes(cleared)
    assert attrs["max-age"] == "0"
    assert "secure" in attrs and "httponly" in attrs and attrs["samesite"].lower() == "lax" and attrs["path"] == "/"
    problem(https_client.get("/api/users/me"), 401)


def test_cookie_authenticates_reads_and_writes(client: TestClient, responder: Actor) -> None:
    login(client, responder)
    assert ok(client.get("/api/users/me"))["id"] == responder.id
    # a write from our own pages (same origin) and from a client that sends no Origin
    assert ok(client.put("/api/users/me", json={"name": "Via Cookie"},
                         headers={"Origin": "http://testserver"}))["name"] == "Via Cookie"
    assert ok(client.put("/api/users/me", json={"language": "de"}))["language"] == "de"


def test_login_is_case_insensitive_on_email(client: TestClient, responder: Actor) -> None:
    response = client.post("/api/auth/login", json={"email": f"  {responder.email.upper()} ",
                                                     "password": responder.password})
    assert ok(response)["id"] == responder.id


@pytest.mark.parametrize("which", ["wrong password", "unknown email", "empty password", "password of another"])
def test_failed_login_is_401_without_cookie(
    client: TestClient, responder: Actor, admin: Actor, db: Database, which: str
) -> None:
    email, password = {
        "wrong password": (responder.email, "not-the-password"),
        "unknown email": ("nobody@example.com", responder.password),
        "empty password": (responder.email, ""),
        "password of another": (responder.email, admin.password),
    }[which]
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    body = problem(response, 401)
    assert body["detail"] == "wrong email or password"  # the same answer for unknown emails
    assert set_cookie_headers(response) == []
    assert session_rows(db) == []
    problem(client.get("/api/users/me"), 401)


def test_user_without_password_cannot_log_in(client: TestClient, admin: Actor) -> None:
    ok(client.post("/api/users", headers=admin.headers, json={"email": "bot@example.com", "name": "Bot"}), 201)
    problem(client.post("/api/auth/login", json={"email": "bot@example.com", "password": ""}), 401)
    problem(client.post("/api/auth/login", json={"email": "bot@example.com", "password": "anything-at-all"}), 401)


def test_login_body_is_validated(client: TestClient) -> None:
    problem(client.post("/api/auth/login", json={"email": "a@example.com"}), 400, field="password")
    problem(client.post("/api/auth/login", json={"email": "a@example.com", "password": "x", "remember": True}), 400,
            field="remember")
    problem(client.post("/api/auth/login", json={"email": "a\u0000@example.com", "password": "x"}), 400,
            field="email")
    problem(client.post("/api/auth/login", content=b"email=a&password=b",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)


def test_session_token_is_stored_as_a_digest(client: TestClient, responder: Actor, db: Database) -> None:
    token = login(client, responder)
    [row] = session_rows(db)
    assert row.user_id == responder.id
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    with db.session() as session:
        raw = session.execute(text("SELECT * FROM login_sessions")).one()
    assert all(token not in str(value) for value in raw)


def test_logout_clears_the_cookie_and_ends_the_session(client: TestClient, responder: Actor, db: Database) -> None:
    token = login(client, responder)
    response = client.post("/api/auth/logout", headers={"Origin": "http://testserver"})
    assert response.status_code == 204, response.text
    [header] = set_cookie_headers(response)
    assert header.startswith(f'{SESSION_COOKIE}=""') or header.startswith(f"{SESSION_COOKIE}=;")
    assert cookie_attributes(header).get("max-age") == "0"
    assert SESSION_COOKIE not in client.cookies
    problem(client.get("/api/users/me"), 401)
    assert session_rows(db) == []
    # a copy of the old cookie no longer works either
    use_cookie(client, token)
    problem(client.get("/api/users/me"), 401)
    problem(client.put("/api/users/me", json={"name": "Zombie"}), 401)


def test_logout_without_a_session_is_harmless(client: TestClient) -> None:
    assert client.post("/api/auth/logout").status_code == 204
    client.cookies.set(SESSION_COOKIE, "made-up")
    assert client.post("/api/auth/logout").status_code == 204


def test_logout_ends_only_that_session(client: TestClient, responder: Actor) -> None:
    first = login(client, responder)
    second = login(client, responder)
    assert first != second
    use_cookie(client, first)
    assert client.post("/api/auth/logout").status_code == 204
    use_cookie(client, second)
    assert ok(client.get("/api/users/me"))["id"] == responder.id
    ok(client.get("/api/users/me", headers=responder.headers))  # API keys are unaffected


def test_session_expires(client: TestClient, responder: Actor, clock: FrozenClock) -> None:
    login(client, responder)
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    ok(client.get("/api/users/me"))
    clock.advance(timedelta(seconds=1))
    problem(client.get("/api/users/me"), 401)


def test_unknown_session_cookie_is_401(client: TestClient, responder: Actor) -> None:
    client.cookies.set(SESSION_COOKIE, "not-a-session")
    problem(client.get("/api/users/me"), 401)


@pytest.mark.parametrize("origin", ["https://evil.example", "http://testserver.evil.example", "null",
                                    "http://evil.example:80", "http://127.0.0.1"])
def test_cookie_write_from_a_foreign_origin_is_403(
    client: TestClient, responder: Actor, admin: Actor, db: Database, origin: str
) -> None:
    login(client, responder)
    headers = {"Origin": origin}
    problem(client.put("/api/users/me", json={"name": "CSRF"}, headers=headers), 403)
    problem(client.post("/api/api-keys", json={"name": "stolen"}, headers=headers), 403)
    problem(client.put("/api/users/me/password", headers=headers,
                       json={"currentPassword": responder.password, "newPassword": "attacker-chosen"}), 403)
    assert ok(client.get("/api/users/me", headers=headers))["name"] == "Rita Responder"  # reads are fine
    assert len(ok(client.get("/api/api-keys"))) == 1


def test_cookie_admin_write_from_a_foreign_origin_is_403(client: TestClient, admin: Actor, factory: Factory) -> None:
    victim = factory.user(Role.RESPONDER)
    login(client, admin)
    problem(client.delete(f"/api/users/{victim.id}", headers={"Origin": "https://evil.example"}), 403)
    ok(client.get("/api/users/me", headers=victim.headers))


def test_cookie_write_from_the_public_base_url_behind_a_proxy(
    db: Database, clock: FrozenClock, responder: Actor
) -> None:
    # nginx passes its upstream address as Host by default; the browser's Origin is the public URL.
    app = create_app(Settings(database_url=db.url, base_url="https://oncall.example"), db=db, clock=clock)
    with TestClient(app) as client:
        login(client, responder)
        proxied = {"Host": "127.0.0.1:8080"}
        response = client.put("/api/users/me", json={"name": "Proxied"},
                              headers={**proxied, "Origin": "https://oncall.example"})
        assert ok(response)["name"] == "Proxied"
        for origin in ("https://evil.example", "https://oncall.example.evil.example", "null"):
            problem(client.put("/api/users/me", json={"name": "CSRF"}, headers={**proxied, "Origin": origin}), 403)
        assert ok(client.get("/api/users/me"))["name"] == "Proxied"


def test_api_key_writes_are_not_subject_to_the_origin_check(client: TestClient, responder: Actor) -> None:
    response = client.put("/api/users/me", json={"name": "Scripted"},
                          headers={**responder.headers, "Origin": "https://tools.example"})
    assert ok(response)["name"] == "Scripted"


def test_password_change_by_cookie(client: TestClient, responder: Actor) -> None:
    login(client, responder)
    response = client.put("/api/users/me/password", headers={"Origin": "http://testserver"},
                          json={"currentPassword": responder.password, "newPassword": "rotated-password"})
    assert response.status_code == 204, response.text
    client.cookies.clear()
    problem(client.post("/api/auth/login", json={"email": responder.email, "password": responder.password}), 401)
    ok(client.post("/api/auth/login", json={"email": responder.email, "password": "rotated-password"}))


def test_login_attempts_are_rate_limited_per_account(client: TestClient, responder: Actor) -> None:
    for _ in range(10):
        wrong = client.post("/api/auth/login", json={"email": responder.email, "password": "not-it-at-all"})
        assert wrong.status_code == 401
    limited = client.post("/api/auth/login", json={"email": responder.email, "password": responder.password})
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1


def test_a_password_change_ends_the_other_login_sessions(app: FastAPI, responder: Actor, admin: Actor) -> None:
    with TestClient(app) as phone, TestClient(app) as laptop, TestClient(app) as tablet:
        for device in (phone, laptop, tablet):
            login(device, responder)
        response = laptop.put("/api/users/me/password", headers={"Origin": "http://testserver"},
                              json={"currentPassword": responder.password, "newPassword": "rotated-password"})
        assert response.status_code == 204, response.text
        ok(laptop.get("/api/users/me"))  # the session that changed it stays
        problem(phone.get("/api/users/me"), 401)
        # An admin setting a new password logs the user out everywhere.
        admin_reset = laptop.put(f"/api/users/{responder.id}", headers=admin.headers, json={"password": "x" * 12})
        ok(admin_reset)
        problem(laptop.get("/api/users/me"), 401)
        ok(tablet.get("/api/users/me", headers=responder.headers))  # API keys are not login sessions
        problem(tablet.get("/api/users/me"), 401)
