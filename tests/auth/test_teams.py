"""Teams: admins create them; admins and the team's own admins manage them; nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.auth.helpers import ok, problem
from tests.conftest import Actor, Factory
from tocsin.auth.models import Role, Team
from tocsin.db import Database


def members(body: dict[str, Any]) -> dict[int, str]:
    return {m["userId"]: m["role"] for m in body["members"]}


def team_names(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Team.name).order_by(Team.name)))


def team_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Team)) or 0)


@pytest.fixture
def team_admin(factory: Factory, team: int) -> Actor:
    """A plain USER who administers the fixtures' team."""
    return factory.user(Role.USER, teams=(team,), team_admin=True, name="Tess Teamadmin")


def test_admin_creates_team_with_members(client: TestClient, admin: Actor, responder: Actor, db: Database) -> None:
    body = ok(client.post("/api/teams", headers=admin.headers, json={
        "name": "  Databases ", "members": [{"userId": responder.id, "role": "ADMIN"}, {"userId": admin.id}],
    }), 201)
    assert body["name"] == "Databases"
    assert body["createdAt"].startswith("2026-03-02T09:00:00")
    assert members(body) == {responder.id: "ADMIN", admin.id: "MEMBER"}
    assert [m["name"] for m in body["members"]] == sorted([responder.name, admin.name])
    assert ok(client.get(f"/api/teams/{body['id']}", headers=responder.headers)) == body
    assert body["id"] in ok(client.get("/api/users/me", headers=responder.headers))["teams"]
    listed = ok(client.get("/api/teams", headers=responder.headers))
    assert [t["name"] for t in listed] == sorted(t["name"] for t in listed)
    assert body in listed


def test_duplicate_team_name_is_409(client: TestClient, admin: Actor, team: int, db: Database) -> None:
    before = team_count(db)
    problem(client.post("/api/teams", headers=admin.headers, json={"name": "Operations"}), 409)
    assert team_count(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({}, "name"),
        ({"name": "X", "members": [{"userId": 0}]}, "members.0.userId"),
        ({"name": "X", "members": [{"userId": 1, "role": "OWNER"}]}, "members.0.role"),
        ({"name": "X", "owner": 1}, "owner"),
        ({"name": "Nul\u0000Team"}, "name"),
    ],
)
def test_invalid_team_is_400(client: TestClient, admin: Actor, db: Database, body: dict[str, Any], field: str) -> None:
    before = team_count(db)
    problem(client.post("/api/teams", headers=admin.headers, json=body), 400, field=field)
    assert team_count(db) == before


def test_team_with_unknown_member_is_400_and_not_created(client: TestClient, admin: Actor, db: Database) -> None:
    before = team_count(db)
    problem(client.post("/api/teams", headers=admin.headers, json={"name": "Ghosts", "members": [{"userId": 9999}]}),
            400, field="members")
    assert team_count(db) == before


@pytest.mark.parametrize("role", [Role.USER, Role.RESPONDER, Role.STAKEHOLDER])
def test_only_admins_create_teams(client: TestClient, factory: Factory, db: Database, role: Role) -> None:
    actor = factory.user(role)
    before = team_count(db)
    problem(client.post("/api/teams", headers=actor.headers, json={"name": "Mine"}), 403)
    assert team_count(db) == before


def test_team_admin_manages_own_team(
    client: TestClient, team_admin: Actor, responder: Actor, factory: Factory, team: int
) -> None:
    newcomer = factory.user(Role.RESPONDER)
    body = ok(client.put(f"/api/teams/{team}", headers=team_admin.headers, json={
        "name": "Ops",
        "members": [{"userId": team_admin.id, "role": "ADMIN"}, {"userId": newcomer.id, "role": "ADMIN"}],
    }))
    assert body["name"] == "Ops"
    assert members(body) == {team_admin.id: "ADMIN", newcomer.id: "ADMIN"}
    assert ok(client.get("/api/users/me", headers=responder.headers))["teams"] == []
    assert ok(client.get("/api/users/me", headers=newcomer.headers))["teams"] == [team]
    # name left out keeps the name; members left out keep the members
    body = ok(client.put(f"/api/teams/{team}", headers=team_admin.headers, json={}))
    assert body["name"] == "Ops" and members(body) == {team_admin.id: "ADMIN", newcomer.id: "ADMIN"}


def test_admin_manages_any_team(client: TestClient, admin: Actor, responder: Actor, team: int) -> None:
    body = ok(client.put(f"/api/teams/{team}", headers=admin.headers,
                         json={"members": [{"userId": responder.id, "role": "ADMIN"}]}))
    assert members(body) == {responder.id: "ADMIN"}
    # and the promoted member may now manage it
    assert ok(client.put(f"/api/teams/{team}", headers=responder.headers, json={"name": "Rita's"}))["name"] == "Rita's"


def test_team_member_who_is_not_team_admin_is_403(
    client: TestClient, responder: Actor, team_admin: Actor, team: int, db: Database
) -> None:
    problem(client.put(f"/api/teams/{team}", headers=responder.headers, json={"name": "Mine now"}), 403)
    problem(client.put(f"/api/teams/{team}", headers=responder.headers,
                       json={"members": [{"userId": responder.id, "role": "ADMIN"}]}), 403)
    body = ok(client.get(f"/api/teams/{team}", headers=responder.headers))
    assert body["name"] == "Operations"
    assert members(body) == {responder.id: "MEMBER", team_admin.id: "ADMIN"}


def test_a_stakeholder_marked_team_admin_still_only_reads(client: TestClient, factory: Factory, team: int) -> None:
    watcher = factory.user(Role.STAKEHOLDER, teams=(team,), team_admin=True)
    problem(client.put(f"/api/teams/{team}", headers=watcher.headers, json={"name": "Mine now"}), 403)
    assert ok(client.get(f"/api/teams/{team}", headers=watcher.headers))["name"] == "Operations"


def test_admin_of_another_team_is_403(
    client: TestClient, outsider: Actor, factory: Factory, team: int, team_admin: Actor, db: Database
) -> None:
    other_admin = factory.user(Role.USER, teams=(factory.team("Other"),), team_admin=True)
    for actor in (outsider, other_admin):
        problem(client.put(f"/api/teams/{team}", headers=actor.headers, json={"name": "Taken"}), 403)
        problem(client.put(f"/api/teams/{team}", headers=actor.headers,
                           json={"members": [{"userId": actor.id, "role": "ADMIN"}]}), 403)
        problem(client.delete(f"/api/teams/{team}", headers=actor.headers), 403)
    assert "Operations" in team_names(db)
    assert members(ok(client.get(f"/api/teams/{team}", headers=outsider.headers))) == {
        team_admin.id: "ADMIN"}


def test_rename_to_an_existing_name_is_409(client: TestClient, team_admin: Actor, factory: Factory,
                                           team: int, db: Database) -> None:
    factory.team("Taken")
    problem(client.put(f"/api/teams/{team}", headers=team_admin.headers, json={"name": "Taken"}), 409)
    assert team_names(db) == ["Operations", "Taken"]
    # renaming to its own name is fine
    assert ok(client.put(f"/api/teams/{team}", headers=team_admin.headers, json={"name": "Operations"}))


def test_members_with_unknown_user_is_400_and_changes_nothing(
    client: TestClient, team_admin: Actor, team: int
) -> None:
    problem(client.put(f"/api/teams/{team}", headers=team_admin.headers,
                       json={"name": "Renamed", "members": [{"userId": 424242}]}), 400, field="members")
    body = ok(client.get(f"/api/teams/{team}", headers=team_admin.headers))
    assert body["name"] == "Operations"
    assert members(body) == {team_admin.id: "ADMIN"}


def test_admin_deletes_team(client: TestClient, admin: Actor, responder: Actor, team: int) -> None:
    response = client.delete(f"/api/teams/{team}", headers=admin.headers)
    assert response.status_code == 204, response.text
    problem(client.get(f"/api/teams/{team}", headers=admin.headers), 404)
    assert ok(client.get("/api/users/me", headers=responder.headers))["teams"] == []


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_unknown_team_is_404(client: TestClient, admin: Actor, method: str) -> None:
    kwargs: dict[str, Any] = {"json": {"name": "X"}} if method == "put" else {}
    problem(getattr(client, method)("/api/teams/31337", headers=admin.headers, **kwargs), 404)


def test_teams_need_authentication(client: TestClient, team: int) -> None:
    problem(client.get("/api/teams"), 401)
    problem(client.get(f"/api/teams/{team}"), 401)
    problem(client.put(f"/api/teams/{team}", json={"name": "x"}), 401)
    problem(client.delete(f"/api/teams/{team}"), 401)
