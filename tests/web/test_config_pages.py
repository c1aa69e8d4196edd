"""Escalation policies and alert sources in the web app: the same rules as the API, through the same services."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory, Source
from tests.web.helpers import post, web_login
from tocsin.auth.models import Role


def _policy(client: TestClient, admin: Actor, team: int, responder: Actor) -> int:
    response = client.post("/api/escalation-policies", headers=admin.headers, json={
        "name": "Ops", "teams": [{"id": team}],
        "levels": [{"escalationTimeout": 15, "targets": [{"type": "USER", "id": responder.id}]},
                   {"escalationTimeout": 30, "targets": [{"type": "TEAM", "id": team}]}]})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_policy_page_shows_levels_and_who_would_be_paged_now(client: TestClient, admin: Actor, responder: Actor,
                                                              team: int) -> None:
    policy_id = _policy(client, admin, team, responder)
    web_login(client, responder)
    page = client.get(f"/escalation-policies/{policy_id}").text
    assert "Team Operations" in page and "After 15 min" in page
    assert page.count("Paged: <strong>Rita Responder</strong>") == 2  # the team has one member
    assert f'href="/escalation-policies/{policy_id}/edit"' not in page  # a responder may not change it
    assert client.get(f"/escalation-policies/{policy_id}/edit").status_code == 403


def test_an_admin_edits_a_policy_level_by_level(client: TestClient, admin: Actor, responder: Actor,
                                                team: int) -> None:
    policy_id = _policy(client, admin, team, responder)
    web_login(client, admin)
    edit = f"/escalation-policies/{policy_id}/edit"
    form = {"name": "Ops renamed", "team": str(team), "level_count": "2", "timeout_0": "5",
            "target_0": f"USER:{admin.id}", "timeout_1": "30", "target_1": f"TEAM:{team}"}
    more = post(client, edit, {**form, "op": "add_level"}, page=edit)
    assert more.status_code == 200 and 'name="timeout_2"' in more.text  # not saved yet
    invalid = post(client, edit, {**form, "level_count": "3", "timeout_2": "10", "op": "save"}, page=edit)
    assert invalid.status_code == 400 and "Level 3, who to page" in invalid.text
    saved = post(client, edit, {**form, "op": "save"}, page=edit)
    assert saved.status_code == 303
    policy = client.get(f"/api/escalation-policies/{policy_id}", headers=admin.headers).json()
    assert policy["name"] == "Ops renamed"
    assert [lv["escalationTimeout"] for lv in policy["levels"]] == [5, 30]
    assert policy["levels"][0]["targets"] == [{"type": "USER", "id": admin.id}]


def test_policy_create_and_delete(client: TestClient, factory: Factory, team: int) -> None:
    user = factory.user(Role.USER, teams=(team,))
    web_login(client, user)
    new = "/escalation-policies/new"
    created = post(client, new, {"name": "Nights", "team": str(team), "level_count": "1", "timeout_0": "10",
                                 "target_0": f"USER:{user.id}", "op": "save"}, page=new)
    assert created.status_code == 303
    policy_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert client.get(f"/api/escalation-policies/{policy_id}", headers=user.headers).json()["name"] == "Nights"
    page = f"/escalation-policies/{policy_id}"
    assert post(client, f"{page}/delete", page=page).status_code == 303
    assert client.get(f"/api/escalation-policies/{policy_id}", headers=user.headers).status_code == 404


def test_another_teams_policy_is_not_found(client: TestClient, admin: Actor, responder: Actor, outsider: Actor,
                                           team: int) -> None:
    policy_id = _policy(client, admin, team, responder)
    web_login(client, outsider)
    assert client.get(f"/escalation-policies/{policy_id}").status_code == 404
    assert client.get(f"/escalation-policies/{policy_id}/edit").status_code == 404
    assert post(client, f"/escalation-policies/{policy_id}/edit", {"op": "save"}).status_code == 404
    assert post(client, f"/escalation-policies/{policy_id}/delete").status_code == 404


def test_new_source_shows_the_url_and_key_once_and_the_key_works(client: TestClient, factory: Factory,
                                                                 team: int) -> None:
    user = factory.user(Role.USER, teams=(team,))
    web_login(client, user)
    new = "/alert-sources/new"
    page = client.get(new).text
    assert '<option value="API" selected>' in page
    refused = post(client, new, {"name": "Grafana", "integration_type": "NOPE", "team": str(team), "status": "ACTIVE",
                                 "alert_creation": "ONE_OPEN_ALERT_PER_KEY", "priority_rule": "HIGH"}, page=new)
    assert refused.status_code == 400 and "unknown integrationType" in refused.text
    created = post(client, new, {"name": "Grafana", "integration_type": "API", "team": str(team),
                                 "status": "ACTIVE", "alert_creation": "ONE_OPEN_ALERT_PER_KEY",
                                 "priority_rule": "HIGH"}, page=new)
    assert created.status_code == 200
    key = re.search(r'id="integration-key"[^>]*>([0-9a-f]{32})<', created.text)
    assert key and f"http://testserver/api/events/{key[1]}" in created.text
    event = client.post(f"/api/events/{key[1]}", json={"eventType": "ALERT", "summary": "From Grafana"})
    assert event.status_code == 202
    sources = client.get("/api/alert-sources", headers=user.headers).json()
    assert [(s["name"], s["teams"][0]["id"]) for s in sources] == [("Grafana", team)]


def test_the_picker_offers_email_and_heartbeat_and_an_email_source_shows_its_address(
    client: TestClient, factory: Factory, team: int
) -> None:
    user = factory.user(Role.USER, teams=(team,))
    web_login(client, user)
    new = "/alert-sources/new"
    page = client.get(new).text
    for integration_type in ("EMAIL", "HEARTBEAT", "PROMETHEUS", "ZABBIX"):
        assert f'<option value="{integration_type}"' in page
    created = post(client, new, {"name": "Mailbox", "integration_type": "EMAIL", "team": str(team),
                                 "status": "ACTIVE", "alert_creation": "ONE_OPEN_ALERT_PER_KEY",
                                 "priority_rule": "HIGH"}, page=new)
    assert created.status_code == 200, created.text
    key = re.search(r'id="integration-key"[^>]*>([0-9a-f]{32})<', created.text)
    assert key and f"{key[1]}@alerts.localhost" in created.text
    assert "{integrationKey}" not in created.text


def test_source_edit_rotate_and_delete(client: TestClient, factory: Factory, team: int) -> None:
    user = factory.user(Role.USER, teams=(team,))
    source = factory.source(teams=(team,))
    web_login(client, user)
    page = f"/alert-sources/{source.id}"
    bad = post(client, page, {"name": "Renamed", "integration_type": "API", "team": str(team), "status": "ACTIVE",
                              "alert_creation": "ONE_ALERT_GROUPED_PER_WINDOW", "priority_rule": "LOW"}, page=page)
    assert bad.status_code == 400 and "alertGroupingWindow" in bad.text
    assert client.get(f"/api/alert-sources/{source.id}", headers=user.headers).json()["name"] == "Source"
    saved = post(client, page, {"name": "Renamed", "integration_type": "API", "team": str(team), "status": "ACTIVE",
                                "alert_creation": "ONE_ALERT_GROUPED_PER_WINDOW", "grouping_window": "PT5M",
                                "priority_rule": "LOW"}, page=page)
    assert saved.status_code == 303
    out = client.get(f"/api/alert-sources/{source.id}", headers=user.headers).json()
    assert (out["name"], out["alertGroupingWindow"], out["alertPriorityRule"]) == ("Renamed", "PT5M", "LOW")
    rotated = post(client, f"{page}/rotate-key", page=page)
    new_key = re.search(r'id="integration-key"[^>]*>([0-9a-f]{32})<', rotated.text)
    assert new_key and new_key[1] != source.key
    assert client.post(f"/api/events/{source.key}", json={"eventType": "ALERT", "summary": "x"}).status_code == 404
    assert post(client, f"{page}/delete", page=page).status_code == 303
    assert client.get(f"/api/alert-sources/{source.id}", headers=user.headers).status_code == 404


def test_a_responder_sees_a_source_read_only_and_an_outsider_not_at_all(
    client: TestClient, responder: Actor, outsider: Actor, source: Source,
) -> None:
    web_login(client, responder)
    page = client.get(f"/alert-sources/{source.id}").text
    assert "Only admins and members" in page and 'name="name"' not in page
    assert client.get("/alert-sources/new").status_code == 403
    assert post(client, f"/alert-sources/{source.id}/rotate-key").status_code == 403
    other = TestClient(client.app)
    web_login(other, outsider)
    assert other.get(f"/alert-sources/{source.id}").status_code == 404
    assert post(other, f"/alert-sources/{source.id}", {"name": "x"}).status_code == 404
    assert post(other, f"/alert-sources/{source.id}/delete").status_code == 404
