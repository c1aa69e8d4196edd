"""Profile (time zone, contact methods, rules), admin pages (users, teams, API keys)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor, Factory
from tests.web.helpers import HTMX, post, web_login
from tocsin.db import Database
from tocsin.notifications.models import MessageKind, Notification


def test_profile_time_zone_and_the_times_shown_in_it(client: TestClient, responder: Actor) -> None:
    web_login(client, responder)
    assert post(client, "/profile", {"name": "Rita R.", "timezone": "Asia/Tokyo"}).status_code == 303
    me = client.get("/api/users/me", headers=responder.headers).json()
    assert (me["name"], me["timezone"]) == ("Rita R.", "Asia/Tokyo")
    refused = post(client, "/profile", {"name": "Rita", "timezone": "Mars/Olympus"})
    assert refused.status_code == 400 and "unknown time zone" in refused.text


def test_contact_methods_add_test_and_remove(client: TestClient, db: Database, responder: Actor) -> None:
    web_login(client, responder)
    bad = post(client, "/profile/contact-methods", {"channel": "SMS", "address": "0151 123"})
    assert bad.status_code == 400 and "E.164" in bad.text
    assert post(client, "/profile/contact-methods", {"channel": "EMAIL", "address": "rita@example.com",
                                                     "label": "Work"}).status_code == 303
    [method] = client.get("/api/users/me/contact-methods", headers=responder.headers).json()
    assert (method["channel"], method["address"], method["label"]) == ("EMAIL", "rita@example.com", "Work")
    tested = post(client, f"/profile/contact-methods/{method['id']}/test", htmx=True)
    assert tested.status_code == 200 and "Test message queued for Work" in tested.text
    with db.session() as session:
        [row] = session.scalars(select(Notification)).all()
        assert (row.kind, row.contact_method_id) == (MessageKind.TEST.value, method["id"])
    assert post(client, f"/profile/contact-methods/{method['id']}/delete").status_code == 303
    assert client.get("/api/users/me/contact-methods", headers=responder.headers).json() == []


def test_someone_elses_contact_method_is_not_found(client: TestClient, responder: Actor, outsider: Actor) -> None:
    created = client.post("/api/users/me/contact-methods", headers=responder.headers,
                          json={"channel": "EMAIL", "address": "rita@example.com"}).json()
    web_login(client, outsider)
    assert post(client, f"/profile/contact-methods/{created['id']}/test").status_code == 404
    assert post(client, f"/profile/contact-methods/{created['id']}/delete").status_code == 404


def test_notification_rules_are_saved_in_order_with_removals(client: TestClient, responder: Actor) -> None:
    web_login(client, responder)
    page = client.get("/profile").text
    assert page.count('name="high_channel"') == 4 + 2  # the default steps and two blank rows
    response = client.post("/profile/notification-rules", data={
        "csrf_token": re.search(r'name="csrf_token" value="(\w+)"', page)[1],  # type: ignore[index]
        "high_channel": ["PUSH", "SMS", "VOICE", ""], "high_delay": ["0", "7", "3", "0"], "high_remove": ["1"],
        "low_channel": ["EMAIL"], "low_delay": ["0"],
    }, follow_redirects=False)
    assert response.status_code == 303
    rules = client.get("/api/users/me/notification-rules", headers=responder.headers).json()
    assert rules == {"HIGH": [{"channel": "PUSH", "delayMin": 0}, {"channel": "VOICE", "delayMin": 3}],
                     "LOW": [{"channel": "EMAIL", "delayMin": 0}]}
    bad = post(client, "/profile/notification-rules", {"high_channel": "PUSH", "high_delay": "-1"})
    assert bad.status_code == 400


def test_admin_creates_and_changes_users_others_may_not(client: TestClient, admin: Actor, responder: Actor) -> None:
    web_login(client, admin)
    new = "/admin/users/new"
    created = post(client, new, {"name": "Nina New", "email": "nina@example.com", "role": "USER",
                                 "timezone": "Europe/Berlin", "password": "long-enough-1"}, page=new)
    assert created.status_code == 303
    duplicate = post(client, new, {"name": "Nina", "email": "NINA@example.com", "role": "USER",
                                   "timezone": "UTC"}, page=new)
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    users = {u["email"]: u for u in client.get("/api/users", headers=admin.headers).json()}
    nina = users["nina@example.com"]
    page = f"/admin/users/{nina['id']}"
    assert post(client, page, {"name": "Nina N.", "email": "nina@example.com", "role": "RESPONDER",
                               "timezone": "UTC"}, page=page).status_code == 303
    assert client.get(f"/api/users/{nina['id']}", headers=admin.headers).json()["role"] == "RESPONDER"
    assert post(client, f"{page}/delete", page=page).status_code == 303
    last_admin = f"/admin/users/{admin.id}"
    demoted = post(client, last_admin, {"name": "Ada", "email": admin.email, "role": "USER", "timezone": "UTC"},
                   page=last_admin)
    assert demoted.status_code == 409 and "last admin" in demoted.text

    other = TestClient(client.app)
    web_login(other, responder)
    assert other.get("/admin/users").status_code == 403
    assert post(other, f"/admin/users/{responder.id}", {"role": "ADMIN"}, page="/profile").status_code == 403


def test_teams_admins_and_team_admins_change_members(client: TestClient, factory: Factory, admin: Actor) -> None:
    web_login(client, admin)
    created = post(client, "/admin/teams", {"name": "Payments"}, page="/admin/teams")
    team_id = int(created.headers["location"].rsplit("/", 1)[1])
    lead = factory.user(name="Lena Lead")
    member = factory.user(name="Max Member")
    page = f"/admin/teams/{team_id}"
    assert post(client, page, {"name": "Payments", "member": [str(lead.id), str(member.id)],
                               f"role_{lead.id}": "ADMIN"}, page=page).status_code == 303
    team = client.get(f"/api/teams/{team_id}", headers=admin.headers).json()
    assert {(m["userId"], m["role"]) for m in team["members"]} == {(lead.id, "ADMIN"), (member.id, "MEMBER")}

    as_member = TestClient(client.app)
    web_login(as_member, member)
    assert "Lena Lead" in as_member.get(page).text
    assert post(as_member, page, {"name": "Mine now"}, page="/profile").status_code == 403
    as_lead = TestClient(client.app)
    web_login(as_lead, lead)
    assert post(as_lead, page, {"name": "Payments EU", "member": [str(lead.id)], f"role_{lead.id}": "ADMIN"},
                page=page).status_code == 303
    assert client.get(f"/api/teams/{team_id}", headers=admin.headers).json()["name"] == "Payments EU"


def test_api_keys_are_shown_once_and_revoked(client: TestClient, responder: Actor, outsider: Actor) -> None:
    web_login(client, responder)
    made = post(client, "/api-keys", {"name": "Deploy"}, page="/api-keys")
    key = re.search(r'id="new-key">(tcs_[\w-]+)<', made.text)
    assert key
    assert client.get("/api/users/me", headers={"Authorization": f"Bearer {key[1]}"}).status_code == 200
    assert key[1] not in client.get("/api-keys").text
    keys = client.get("/api/api-keys", headers=responder.headers).json()
    deploy = next(k for k in keys if k["name"] == "Deploy")
    other = TestClient(client.app)
    web_login(other, outsider)
    assert post(other, f"/api-keys/{deploy['id']}/revoke", page="/api-keys").status_code == 404
    assert post(client, f"/api-keys/{deploy['id']}/revoke", page="/api-keys").status_code == 303
    assert client.get("/api/users/me", headers={"Authorization": f"Bearer {key[1]}"}).status_code == 401
    assert HTMX
