"""Escalation actions on alerts: escalate and re-notify, with their refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.alerts.helpers import open_alert, problem
from tests.conftest import Actor, Source


def test_escalate_and_renotify_need_a_policy_and_an_open_alert(client: TestClient, source: Source,
                                                               responder: Actor) -> None:
    alert_id = open_alert(client, source.key)
    assert "no escalation policy" in problem(client.put(f"/api/alerts/{alert_id}/escalate",
                                                        headers=responder.headers), 409)["detail"]
    assert "nobody to notify" in problem(client.post(f"/api/alerts/{alert_id}/renotify",
                                                     headers=responder.headers), 409)["detail"]
    client.put(f"/api/alerts/{alert_id}/resolve", headers=responder.headers)
    problem(client.put(f"/api/alerts/{alert_id}/escalate", headers=responder.headers), 409)
    problem(client.post(f"/api/alerts/{alert_id}/renotify", headers=responder.headers), 409)


def test_another_teams_alert_cannot_be_escalated(client: TestClient, source: Source, outsider: Actor,
                                                 responder: Actor) -> None:
    alert_id = open_alert(client, source.key)
    problem(client.put(f"/api/alerts/{alert_id}/escalate", headers=outsider.headers), 404)
    problem(client.post(f"/api/alerts/{alert_id}/renotify", headers=outsider.headers), 404)
