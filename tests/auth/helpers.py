"""Small helpers for account tests: problem+json assertions, logging in with a cookie, DB reads."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor
from tocsin.auth.models import ApiKey, User
from tocsin.db import Database
from tocsin.deps import SESSION_COOKIE


def problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem answer with this status (and field at fault) and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def login(client: TestClient, actor: Actor) -> str:
    """Log in through the API; returns the session token (the client's cookie jar holds it too)."""
    response = client.post("/api/auth/login", json={"email": actor.email, "password": actor.password})
    assert response.status_code == 200, response.text
    token = response.cookies.get(SESSION_COOKIE)
    assert token
    return token


def set_cookie_headers(response: Any) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}=")]


def cookie_attributes(header: str) -> dict[str, str]:
    """'name=value; HttpOnly; SameSite=lax' -> {'httponly': '', 'samesite': 'lax', ...} (lower-cased keys)."""
    attrs: dict[str, str] = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attrs[key.lower()] = value
    return attrs


def user_row(db: Database, user_id: int) -> User:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        session.expunge(user)
        return user


def api_key_rows(db: Database, user_id: int) -> list[ApiKey]:
    with db.session() as session:
        rows = list(session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id)))
        for row in rows:
            session.expunge(row)
        return rows
