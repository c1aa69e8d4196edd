"""Users: who may create, read, change and delete them; validation; the last admin."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.auth.helpers import ok, problem, user_row
from tests.conftest import Actor, Factory
from tocsin.auth.models import Role, User
from tocsin.auth.security import verify_password
from tocsin.db import Database


def new_user(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "new@example.com", "name": "New Person", "role": "USER", "timezone": "Europe/Berlin",
        "language": "de", "password": "correct horse battery",
    }
    body.update(changes)
    return body


def count_users(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


# --- create ---------------------------------------------------------------------------------


def test_admin_creates_user_with_all_fields(client: TestClient, admin: Actor, db: Database) -> None:
    body = ok(client.post("/api/users", headers=admin.headers, json=new_user()), 201)
    assert body == {
        "id": body["id"], "email": "new@example.com", "name": "New Person", "timezone": "Europe/Berlin",
        "language": "de", "role": "USER", "teams": [], "createdAt": body["createdAt"],
    }
    assert body["createdAt"].startswith("2026-03-02T09:00:00")
    assert body["createdAt"].endswith(("+00:00", "Z"))
    assert ok(client.get(f"/api/users/{body['id']}", headers=admin.headers)) == body
    row = user_row(db, body["id"])
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2")
    assert "correct horse battery" not in row.password_hash
    assert verify_password(row.password_hash, "correct horse battery")


@pytest.mark.parametrize("role", ["ADMIN", "USER", "RESPONDER", "STAKEHOLDER"])
def test_every_role_can_be_given(client: TestClient, admin: Actor, role: str) -> None:
    body = ok(client.post("/api/users", headers=admin.headers, json=new_user(role=role)), 201)
    assert body["role"] == role


def test_defaults_and_email_normalised(client: TestClient, admin: Actor, db: Database) -> None:
    body = ok(client.post("/api/users", headers=admin.headers,
                          json={"email": "Mixed.Case@Example.COM", "name": "  Padded  "}), 201)
    assert body["email"] == "mixed.case@example.com"
    assert body["name"] == "Padded"
    assert (body["role"], body["timezone"], body["language"]) == ("RESPONDER", "UTC", "en")
    assert user_row(db, body["id"]).password_hash is None  # an API-only user


@pytest.mark.parametrize("email", ["new@example.com", "NEW@example.com", "new@EXAMPLE.com"])
def test_duplicate_email_is_409(client: TestClient, admin: Actor, db: Database, email: str) -> None:
    ok(client.post("/api/users", headers=admin.headers, json=new_user()), 201)
    before = count_users(db)
    body = problem(client.post("/api/users", headers=admin.headers, json=new_user(email=email, name="Twin")), 409)
    assert "new@example.com" in body["detail"]
    assert count_users(db) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "Europe/Berlin "}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"role": "SUPERUSER"}, "role"),
        ({"role": "admin"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"language": "english language"}, "language"),
        ({"password": "short"}, "password"),
        ({"isAdmin": True}, "isAdmin"),
        ({"email": "nul\u0000@example.com"}, "email"),
        ({"name": "Nul\u0000Name"}, "name"),
    ],
)
def test_invalid_user_is_400_naming_the_field(
    client: TestClient, admin: Actor, db: Database, changes: dict[str, Any], field: str
) -> None:
    before = count_users(db)
    problem(client.post("/api/users", headers=admin.headers, json=new_user(**changes)), 400, field=field)
    assert count_users(db) == before


@pytest.mark.parametrize("zone", ["Europe", "America", "Etc", "__pycache__", "Europe/Berlin/", "x" * 64])
def test_timezone_that_is_a_zone_directory_or_no_zone_is_400(
    client: TestClient, admin: Actor, responder: Actor, zone: str
) -> None:
    problem(client.post("/api/users", headers=admin.headers, json=new_user(timezone=zone)), 400, field="timezone")
    problem(client.put("/api/users/me", headers=responder.headers, json={"timezone": zone}), 400, field="timezone")


def test_body_that_is_not_json_is_400(client: TestClient, admin: Actor) -> None:
    response = client.post("/api/users", headers={**admin.headers, "Content-Type": "application/json"},
                           content=b"{not json")
    problem(response, 400)


@pytest.mark.parametrize("role", [Role.USER, Role.RESPONDER, Role.STAKEHOLDER])
def test_only_admins_create_users(client: TestClient, factory: Factory, db: Database, role: Role) -> None:
    actor = factory.user(role)
    before = count_users(db)
    problem(client.post("/api/users", headers=actor.headers, json=new_user()), 403)
    assert count_users(db) == before


def test_anonymous_is_401_with_bearer_challenge(client: TestClient, admin: Actor) -> None:
    for response in (client.get("/api/users"), client.get("/api/users/me"),
                     client.post("/api/users", json=new_user()), client.get(f"/api/users/{admin.id}")):
        problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


# --- read -----------------------------------------------------------------------------------


def test_me_and_list(client: TestClient, admin: Actor, responder: Actor, team: int) -> None:
    me = ok(client.get("/api/users/me", headers=responder.headers))
    assert me["id"] == responder.id
    assert me["email"] == responder.email
    assert me["role"] == "RESPONDER"
    assert me["teams"] == [team]
    assert "passwordHash" not in me and "password" not in me
    everyone = ok(client.get("/api/users", headers=responder.headers))
    assert {u["id"] for u in everyone} == {admin.id, responder.id}
    assert all("passwordHash" not in u for u in everyone)


@pytest.mark.parametrize("path", ["/api/users/999999", "/api/users/0", "/api/users/-1", "/api/users/abc",
                                  f"/api/users/{2**63}"])
def test_unknown_or_invalid_user_id(client: TestClient, responder: Actor, path: str) -> None:
    response = client.get(path, headers=responder.headers)
    problem(response, 404 if path.endswith("999999") else 400)


# --- own profile ----------------------------------------------------------------------------


def test_user_edits_own_profile(client: TestClient, responder: Actor, db: Database) -> None:
    body = ok(client.put("/api/users/me", headers=responder.headers,
                         json={"name": "Rita R.", "timezone": "America/New_York", "language": "en-US"}))
    assert (body["name"], body["timezone"], body["language"]) == ("Rita R.", "America/New_York", "en-US")
    row = user_row(db, responder.id)
    assert (row.name, row.timezone, row.language, row.role) == ("Rita R.", "America/New_York", "en-US", "RESPONDER")
    # fields left out keep their value
    body = ok(client.put("/api/users/me", headers=responder.headers, json={"language": "fr"}))
    assert (body["name"], body["timezone"], body["language"]) == ("Rita R.", "America/New_York", "fr")


def test_own_profile_rejects_bad_timezone(client: TestClient, responder: Actor, db: Database) -> None:
    problem(client.put("/api/users/me", headers=responder.headers, json={"timezone": "Nowhere/Land"}), 400,
            field="timezone")
    assert user_row(db, responder.id).timezone == "UTC"


@pytest.mark.parametrize("field", ["role", "email", "password", "passwordHash"])
def test_own_profile_cannot_change_role_or_credentials(
    client: TestClient, responder: Actor, db: Database, field: str
) -> None:
    value = {"role": "ADMIN", "email": "me@evil.example", "password": "a-new-password"}.get(field, "$argon2$x")
    problem(client.put("/api/users/me", headers=responder.headers, json={field: value}), 400, field=field)
    row = user_row(db, responder.id)
    assert (row.role, row.email) == ("RESPONDER", responder.email)
    assert verify_password(row.password_hash, responder.password)


def test_user_edits_self_by_id_but_not_role(client: TestClient, responder: Actor, db: Database) -> None:
    body = ok(client.put(f"/api/users/{responder.id}", headers=responder.headers, json={"name": "Rita Two"}))
    assert body["name"] == "Rita Two"
    for change in ({"role": "ADMIN"}, {"role": "RESPONDER"}, {"email": "x@example.com"},
                   {"password": "another-password"}):
        problem(client.put(f"/api/users/{responder.id}", headers=responder.headers, json=change), 403)
    row = user_row(db, responder.id)
    assert (row.role, row.email, row.name) == ("RESPONDER", responder.email, "Rita Two")
    assert verify_password(row.password_hash, responder.password)


@pytest.mark.parametrize("role", [Role.USER, Role.RESPONDER, Role.STAKEHOLDER])
def test_user_cannot_edit_another_users_profile(
    client: TestClient, factory: Factory, responder: Actor, db: Database, role: Role
) -> None:
    actor = factory.user(role)
    problem(client.put(f"/api/users/{responder.id}", headers=actor.headers, json={"name": "Hacked"}), 403)
    problem(client.put(f"/api/users/{responder.id}", headers=actor.headers, json={}), 403)
    assert user_row(db, responder.id).name == "Rita Responder"


def test_change_own_password(client: TestClient, responder: Actor, db: Database) -> None:
    old_hash = user_row(db, responder.id).password_hash
    response = client.put("/api/users/me/password", headers=responder.headers,
                          json={"currentPassword": responder.password, "newPassword": "brand-new-secret"})
    assert response.status_code == 204, response.text
    new_hash = user_row(db, responder.id).password_hash
    assert new_hash is not None and new_hash.startswith("$argon2") and new_hash != old_hash
    assert "brand-new-secret" not in new_hash
    problem(client.post("/api/auth/login", json={"email": responder.email, "password": responder.password}), 401)
    ok(client.post("/api/auth/login", json={"email": responder.email, "password": "brand-new-secret"}))


def test_change_own_password_needs_the_current_one(client: TestClient, responder: Actor, db: Database) -> None:
    old_hash = user_row(db, responder.id).password_hash
    problem(client.put("/api/users/me/password", headers=responder.headers,
                       json={"currentPassword": "wrong", "newPassword": "brand-new-secret"}), 400,
            field="currentPassword")
    problem(client.put("/api/users/me/password", headers=responder.headers,
                       json={"currentPassword": responder.password, "newPassword": "short"}), 400,
            field="newPassword")
    assert user_row(db, responder.id).password_hash == old_hash


# --- admin changes --------------------------------------------------------------------------


def test_admin_changes_another_user(client: TestClient, admin: Actor, responder: Actor, db: Database) -> None:
    body = ok(client.put(f"/api/users/{responder.id}", headers=admin.headers,
                         json={"role": "USER", "email": "Rita@Example.com", "name": "Rita",
                               "timezone": "Asia/Tokyo", "password": "set-by-admin"}))
    assert (body["role"], body["email"], body["name"], body["timezone"]) == (
        "USER", "rita@example.com", "Rita", "Asia/Tokyo")
    row = user_row(db, responder.id)
    assert row.password_hash is not None and row.password_hash.startswith("$argon2")
    assert verify_password(row.password_hash, "set-by-admin")


def test_admin_cannot_take_an_existing_email(
    client: TestClient, admin: Actor, responder: Actor, db: Database
) -> None:
    problem(client.put(f"/api/users/{responder.id}", headers=admin.headers, json={"email": admin.email.upper()}),
            409)
    assert user_row(db, responder.id).email == responder.email
    # keeping one's own email (in another case) is no conflict
    ok(client.put(f"/api/users/{responder.id}", headers=admin.headers, json={"email": responder.email.upper()}))


def test_admin_update_of_unknown_user_is_404(client: TestClient, admin: Actor) -> None:
    problem(client.put("/api/users/424242", headers=admin.headers, json={"name": "Ghost"}), 404)
    problem(client.delete("/api/users/424242", headers=admin.headers), 404)


# --- the last admin -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["USER", "RESPONDER", "STAKEHOLDER"])
def test_last_admin_cannot_be_demoted(client: TestClient, admin: Actor, db: Database, role: str) -> None:
    problem(client.put(f"/api/users/{admin.id}", headers=admin.headers, json={"role": role}), 409)
    assert user_row(db, admin.id).role == "ADMIN"
    # re-stating the role is no demotion
    assert ok(client.put(f"/api/users/{admin.id}", headers=admin.headers, json={"role": "ADMIN"}))["role"] == "ADMIN"


def test_last_admin_cannot_be_deleted(client: TestClient, admin: Actor, db: Database) -> None:
    problem(client.delete(f"/api/users/{admin.id}", headers=admin.headers), 409)
    assert user_row(db, admin.id).role == "ADMIN"
    ok(client.get("/api/users/me", headers=admin.headers))


def test_an_admin_can_step_down_when_another_remains(
    client: TestClient, admin: Actor, factory: Factory, db: Database
) -> None:
    second = factory.user(Role.ADMIN)
    ok(client.put(f"/api/users/{admin.id}", headers=admin.headers, json={"role": "USER"}))
    assert user_row(db, admin.id).role == "USER"
    # now `second` is the last one
    problem(client.put(f"/api/users/{second.id}", headers=second.headers, json={"role": "USER"}), 409)
    problem(client.delete(f"/api/users/{second.id}", headers=second.headers), 409)
    # and a former admin has lost the power to demote it
    problem(client.put(f"/api/users/{second.id}", headers=admin.headers, json={"role": "USER"}), 403)


# --- delete ---------------------------------------------------------------------------------


def test_admin_deletes_user_and_their_access_ends(
    client: TestClient, admin: Actor, responder: Actor, team: int, db: Database
) -> None:
    response = client.delete(f"/api/users/{responder.id}", headers=admin.headers)
    assert response.status_code == 204, response.text
    problem(client.get(f"/api/users/{responder.id}", headers=admin.headers), 404)
    problem(client.get("/api/users/me", headers=responder.headers), 401)
    members = ok(client.get(f"/api/teams/{team}", headers=admin.headers))["members"]
    assert responder.id not in {m["userId"] for m in members}


@pytest.mark.parametrize("role", [Role.USER, Role.RESPONDER, Role.STAKEHOLDER])
def test_only_admins_delete_users(
    client: TestClient, factory: Factory, responder: Actor, db: Database, role: Role
) -> None:
    actor = factory.user(role)
    problem(client.delete(f"/api/users/{responder.id}", headers=actor.headers), 403)
    problem(client.delete(f"/api/users/{actor.id}", headers=actor.headers), 403)
    ok(client.get("/api/users/me", headers=responder.headers))

