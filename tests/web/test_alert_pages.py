"""Alert list and detail pages: filters, quick actions, live refresh, what is shown, and who may see it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.alerts.helpers import open_alert
from tests.conftest import Actor, Factory, Source
from tests.web.helpers import HTMX, post, token, web_login
from tocsin.auth.models import Role


def api_alert(client: TestClient, actor: Actor, alert_id: int) -> dict[str, object]:
    response = client.get(f"/api/alerts/{alert_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_list_filters_by_state_and_by_assignee(client: TestClient, responder: Actor, admin: Actor,
                                               source: Source) -> None:
    pending = open_alert(client, source.key, summary="Pending one", alertKey="a")
    accepted = open_alert(client, source.key, summary="Accepted one", alertKey="b")
    mine = open_alert(client, source.key, summary="Mine one", alertKey="c")
    client.put(f"/api/alerts/{accepted}/accept", headers=admin.headers)
    client.put(f"/api/alerts/{mine}/assign", headers=admin.headers, json={"userId": responder.id})
    web_login(client, responder)

    def shown(query: str) -> set[str]:
        text = client.get(f"/alerts{query}").text
        return {s for s in ("Pending one", "Accepted one", "Mine one") if s in text}

    assert shown("") == {"Pending one", "Mine one"}
    assert shown("?show=accepted") == {"Accepted one"}
    assert shown("?show=all") == {"Pending one", "Accepted one", "Mine one"}
    assert shown("?show=pending&mine=true") == {"Mine one"}
    assert client.get("/alerts?show=bogus").status_code == 400
    assert pending


def test_quick_accept_from_a_row_answers_the_updated_row(client: TestClient, responder: Actor,
                                                          source: Source) -> None:
    alert_id = open_alert(client, source.key, summary="Disk full", priority="HIGH")
    web_login(client, responder)
    row = post(client, f"/alerts/{alert_id}/accept", {"view": "row"}, htmx=True, page="/alerts")
    assert row.status_code == 200
    assert f'id="alert-{alert_id}"' in row.text and "Accepted" in row.text
    assert f'id="alert-{alert_id}-accept"' not in row.text
    alert = api_alert(client, responder, alert_id)
    assert alert["state"] == "ACCEPTED" and alert["acceptedBy"] == {"id": responder.id, "name": responder.name}
    # Without JavaScript the form posts and comes back to the list.
    plain = post(client, f"/alerts/{alert_id}/resolve", {"view": "row"}, page="/alerts")
    assert plain.status_code == 303 and plain.headers["location"] == "/alerts"
    assert api_alert(client, responder, alert_id)["state"] == "RESOLVED"


def test_live_refresh_answers_204_until_the_list_changes(client: TestClient, responder: Actor,
                                                         source: Source) -> None:
    open_alert(client, source.key, summary="First", alertKey="1")
    web_login(client, responder)
    first = client.get("/alerts/rows", headers=HTMX)
    assert first.status_code == 200 and "First" in first.text
    version = first.text.split('data-version="')[1].split('"')[0]
    assert client.get("/alerts/rows", headers={**HTMX, "X-List-Version": version}).status_code == 204
    open_alert(client, source.key, summary="Second", alertKey="2")
    changed = client.get("/alerts/rows", headers={**HTMX, "X-List-Version": version})
    assert changed.status_code == 200 and "Second" in changed.text
    assert 'id="count-pending" hx-swap-oob="true">2<' in changed.text


def test_detail_shows_the_alert_and_only_safe_links(client: TestClient, responder: Actor, source: Source) -> None:
    alert_id = open_alert(
        client, source.key, summary="Checkout <b>down</b>", details="line one\nline two",
        links=[{"href": "javascript:alert(1)", "text": "evil"},
               {"href": "https://grafana.example.com/d", "text": "Graph"}],
        images=[{"src": "https://img.example.com/p.png", "alt": "error rate"}, {"src": "data:text/html,x"}],
        labels={"env": "prod"}, customDetails={"region": "eu-west-1"},
    )
    web_login(client, responder)
    page = client.get(f"/alerts/{alert_id}").text
    assert "Checkout &lt;b&gt;down&lt;/b&gt;" in page
    assert 'href="https://grafana.example.com/d"' in page
    assert "javascript:" not in page and "data:text/html" not in page
    assert 'src="https://img.example.com/p.png"' in page and 'alt="error rate"' in page
    assert "line one\nline two" in page and "eu-west-1" in page and ">env<" in page
    assert "Alert created from ilert event" in page


def test_detail_actions_assign_comment_escalate_resolve(client: TestClient, responder: Actor, admin: Actor,
                                                       factory: Factory, team: int) -> None:
    policy = client.post("/api/escalation-policies", headers=admin.headers, json={
        "name": "Ops", "teams": [{"id": team}],
        "levels": [{"escalationTimeout": 5, "targets": [{"type": "USER", "id": responder.id}]},
                   {"escalationTimeout": 5, "targets": [{"type": "USER", "id": admin.id}]}]}).json()
    source = factory.source(teams=(team,), escalation_policy_id=policy["id"])
    alert_id = open_alert(client, source.key)
    web_login(client, responder)
    page = f"/alerts/{alert_id}"
    assigned = post(client, f"/alerts/{alert_id}/assign", {"user_id": responder.id}, htmx=True, page=page)
    assert "Assigned to Rita Responder." in assigned.text
    commented = post(client, f"/alerts/{alert_id}/comment", {"content": "on it"}, htmx=True, page=page)
    assert "on it" in commented.text
    escalated = post(client, f"/alerts/{alert_id}/escalate", {}, htmx=True, page=page)
    assert escalated.status_code == 200, escalated.text
    resolved = post(client, f"/alerts/{alert_id}/resolve", {}, htmx=True, page=page)
    assert "Resolved" in resolved.text
    alert = api_alert(client, responder, alert_id)
    assert alert["state"] == "RESOLVED" and alert["assignedTo"] == {"id": responder.id, "name": responder.name}
    log = client.get(f"/api/alerts/{alert_id}/log", headers=responder.headers).json()
    assert any(e["kind"] == "COMMENT" and e["message"] == "on it" for e in log)
    # A resolved alert cannot be accepted: the error comes back in the page's message area.
    refused = post(client, f"/alerts/{alert_id}/accept", {}, htmx=True, page=page)
    assert refused.status_code == 409 and refused.headers["HX-Retarget"] == "#toast"
    assert "resolved" in refused.text


def test_another_teams_alert_is_not_found_on_any_page(client: TestClient, outsider: Actor, source: Source) -> None:
    alert_id = open_alert(client, source.key, summary="Secret thing")
    web_login(client, outsider)
    assert "Secret thing" not in client.get("/alerts?show=all").text
    assert client.get(f"/alerts/{alert_id}").status_code == 404
    assert client.get(f"/alerts/{alert_id}/live", headers=HTMX).status_code == 404
    for action in ("accept", "resolve", "escalate"):
        assert post(client, f"/alerts/{alert_id}/{action}", page="/alerts").status_code == 404
    assert post(client, f"/alerts/{alert_id}/comment", {"content": "x"}, page="/alerts").status_code == 404
    assert post(client, f"/alerts/{alert_id}/assign", {"user_id": outsider.id}, page="/alerts").status_code == 404


def test_a_stakeholder_sees_alerts_but_cannot_act(client: TestClient, factory: Factory, team: int,
                                                  source: Source) -> None:
    viewer = factory.user(Role.STAKEHOLDER, teams=(team,))
    alert_id = open_alert(client, source.key, summary="Visible")
    web_login(client, viewer)
    page = client.get(f"/alerts/{alert_id}").text
    assert "Visible" in page and "detail-accept" not in page
    assert post(client, f"/alerts/{alert_id}/accept", page="/alerts").status_code == 403
    assert token(client, "/alerts")
