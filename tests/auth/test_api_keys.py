"""API keys: shown once, stored as a digest, revocable, per user, lastUsedAt kept up to date."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.auth.helpers import api_key_rows, ok, problem
from tests.conftest import START, Actor, Factory
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create_key(client: TestClient, actor: Actor, name: str = "laptop") -> dict[str, Any]:
    body: dict[str, Any] = ok(client.post("/api/api-keys", headers=actor.headers, json={"name": name}), 201)
    return body


def test_create_shows_the_key_once(client: TestClient, responder: Actor) -> None:
    created = create_key(client, responder)
    key = created["key"]
    assert key.startswith("tcs_") and len(key) >= 40
    assert created["prefix"] == key[:8]
    assert created["userId"] == responder.id
    assert created["name"] == "laptop"
    assert created["createdAt"].startswith("2026-03-02T09:00:00")
    assert created["lastUsedAt"] is None and created["revokedAt"] is None
    assert ok(client.get("/api/users/me", headers=bearer(key)))["id"] == responder.id
    listing = client.get("/api/api-keys", headers=responder.headers)
    assert key not in listing.text
    keys = listing.json()
    assert all("key" not in k for k in keys)
    assert created["id"] in {k["id"] for k in keys}


def test_default_name_and_name_validation(client: TestClient, responder: Actor) -> None:
    assert ok(client.post("/api/api-keys", headers=responder.headers, json={}), 201)["name"] == "API key"
    problem(client.post("/api/api-keys", headers=responder.headers, json={"name": " "}), 400, field="name")
    problem(client.post("/api/api-keys", headers=responder.headers, json={"name": "nul\u0000"}), 400, field="name")
    problem(client.post("/api/api-keys", headers=responder.headers, json={"name": "x", "userId": 1}), 400,
            field="userId")


def test_key_is_stored_as_a_digest(client: TestClient, responder: Actor, db: Database) -> None:
    created = create_key(client, responder)
    key = created["key"]
    [row] = [r for r in api_key_rows(db, responder.id) if r.id == created["id"]]
    assert row.digest == hashlib.sha256(key.encode()).hexdigest()
    assert row.digest != key
    with db.session() as session:
        raw = session.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": created["id"]}).one()
    assert all(key not in str(value) for value in raw)


def test_keys_are_per_user(client: TestClient, responder: Actor, outsider: Actor) -> None:
    mine = create_key(client, responder)
    theirs = create_key(client, outsider)
    assert ok(client.get("/api/users/me", headers=bearer(theirs["key"])))["id"] == outsider.id
    listed = {k["id"] for k in ok(client.get("/api/api-keys", headers=responder.headers))}
    assert mine["id"] in listed and theirs["id"] not in listed
    # ?all=true is an admin's view only; others still see their own
    listed = {k["id"] for k in ok(client.get("/api/api-keys?all=true", headers=responder.headers))}
    assert theirs["id"] not in listed and mine["id"] in listed


def test_admin_lists_all_keys(client: TestClient, admin: Actor, responder: Actor, outsider: Actor) -> None:
    users = {k["userId"] for k in ok(client.get("/api/api-keys?all=true", headers=admin.headers))}
    assert {admin.id, responder.id, outsider.id} <= users
    assert {k["userId"] for k in ok(client.get("/api/api-keys", headers=admin.headers))} == {admin.id}


def test_revoked_key_is_401(client: TestClient, responder: Actor, clock: FrozenClock) -> None:
    created = create_key(client, responder)
    clock.advance(timedelta(hours=1))
    response = client.delete(f"/api/api-keys/{created['id']}", headers=bearer(created["key"]))
    assert response.status_code == 204, response.text
    response = client.get("/api/users/me", headers=bearer(created["key"]))
    problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    problem(client.post("/api/api-keys", headers=bearer(created["key"]), json={}), 401)
    [listed] = [k for k in ok(client.get("/api/api-keys", headers=responder.headers)) if k["id"] == created["id"]]
    assert listed["revokedAt"].startswith("2026-03-02T10:00:00")
    # revoking again changes nothing
    clock.advance(timedelta(hours=1))
    assert client.delete(f"/api/api-keys/{created['id']}", headers=responder.headers).status_code == 204
    [listed] = [k for k in ok(client.get("/api/api-keys", headers=responder.headers)) if k["id"] == created["id"]]
    assert listed["revokedAt"].startswith("2026-03-02T10:00:00")
    # the user's other key still works
    ok(client.get("/api/users/me", headers=responder.headers))


@pytest.mark.parametrize("role", [Role.USER, Role.RESPONDER, Role.STAKEHOLDER])
def test_revoking_another_users_key_is_404(
    client: TestClient, factory: Factory, responder: Actor, db: Database, role: Role
) -> None:
    actor = factory.user(role)
    [victim_key] = api_key_rows(db, responder.id)
    body = problem(client.delete(f"/api/api-keys/{victim_key.id}", headers=actor.headers), 404)
    # indistinguishable from a key that does not exist
    assert body["detail"] == problem(client.delete("/api/api-keys/987654", headers=actor.headers), 404)["detail"]
    assert api_key_rows(db, responder.id)[0].revoked_at is None
    ok(client.get("/api/users/me", headers=responder.headers))


def test_admin_may_revoke_anyones_key(client: TestClient, admin: Actor, responder: Actor, db: Database) -> None:
    [key] = api_key_rows(db, responder.id)
    assert client.delete(f"/api/api-keys/{key.id}", headers=admin.headers).status_code == 204
    problem(client.get("/api/users/me", headers=responder.headers), 401)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer tcs_not-a-real-key", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "tcs_no-scheme", "Bearer  x y"],
)
def test_bad_credentials_are_401(client: TestClient, responder: Actor, authorization: str) -> None:
    problem(client.get("/api/users/me", headers={"Authorization": authorization}), 401)


@pytest.mark.parametrize("path", ["/api/api-keys/0", "/api/api-keys/abc", f"/api/api-keys/{2**60}"])
def test_invalid_key_id_is_400(client: TestClient, responder: Actor, path: str) -> None:
    problem(client.delete(path, headers=responder.headers), 400)


def test_last_used_at_is_updated_on_use(
    client: TestClient, responder: Actor, clock: FrozenClock, db: Database
) -> None:
    def last_used() -> Any:
        [row] = api_key_rows(db, responder.id)
        return row.last_used_at

    assert last_used() is None
    ok(client.get("/api/users/me", headers=responder.headers))  # a read request
    assert last_used() == START
    clock.advance(timedelta(seconds=20))
    ok(client.get("/api/users/me", headers=responder.headers))  # written at most once a minute
    assert last_used() == START
    clock.advance(timedelta(minutes=5))
    ok(client.put("/api/users/me", headers=responder.headers, json={"language": "de"}))  # a write request
    assert last_used() == START + timedelta(minutes=5, seconds=20)
    clock.advance(timedelta(hours=1))
    [listed] = ok(client.get("/api/api-keys", headers=responder.headers))
    assert last_used() == START + timedelta(hours=1, minutes=5, seconds=20)
    assert listed["lastUsedAt"] is not None


def test_deleting_a_user_removes_their_keys(client: TestClient, admin: Actor, responder: Actor, db: Database) -> None:
    assert api_key_rows(db, responder.id)
    assert client.delete(f"/api/users/{responder.id}", headers=admin.headers).status_code == 204
    assert api_key_rows(db, responder.id) == []
