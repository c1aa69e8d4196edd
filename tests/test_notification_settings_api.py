"""/api/users/me/contact-methods and /notification-rules: defaults, validation, isolation."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor


def test_new_users_get_default_rules(client: TestClient, responder: Actor) -> None:
    rules = client.get("/api/users/me/notification-rules", headers=responder.headers).json()
    assert rules == {
        "HIGH": [{"channel": "PUSH", "delayMin": 0}, {"channel": "EMAIL", "delayMin": 0},
                 {"channel": "SMS", "delayMin": 5}, {"channel": "VOICE", "delayMin": 10}],
        "LOW": [{"channel": "EMAIL", "delayMin": 0}],
    }


def test_rules_are_replaced_and_kept_in_delay_order(client: TestClient, responder: Actor) -> None:
    body = {"HIGH": [{"channel": "VOICE", "delayMin": 15}, {"channel": "SMS", "delayMin": 0}], "LOW": []}
    answer = client.put("/api/users/me/notification-rules", headers=responder.headers, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"HIGH": [{"channel": "SMS", "delayMin": 0}, {"channel": "VOICE", "delayMin": 15}],
                             "LOW": []}
    for bad in ({"HIGH": [{"channel": "FAX", "delayMin": 0}], "LOW": []},
                {"HIGH": [{"channel": "SMS", "delayMin": -1}], "LOW": []},
                {"HIGH": []}):
        problem(client.put("/api/users/me/notification-rules", headers=responder.headers, json=bad), 400)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"channel": "EMAIL", "address": "not-an-email"}, "email"),
        ({"channel": "SMS", "address": "0151 1234"}, "E.164"),
        ({"channel": "VOICE", "address": "+0123456"}, "E.164"),
        ({"channel": "SLACK", "address": "ftp://hooks.example"}, "URL"),
        ({"channel": "PUSH", "address": "https://push.example/x"}, "push-subscriptions"),
        ({"channel": "EMAIL", "address": "a@example.com", "secret": "0123456789abcdef"}, "secret"),
    ],
)
def test_contact_method_validation(client: TestClient, responder: Actor, body: dict[str, Any], needle: str) -> None:
    answer = problem(client.post("/api/users/me/contact-methods", headers=responder.headers, json=body), 400)
    assert needle in answer["detail"], answer


def test_contact_methods_crud_and_test_message(client: TestClient, responder: Actor) -> None:
    created = client.post("/api/users/me/contact-methods", headers=responder.headers,
                          json={"channel": "SMS", "address": "+4915112345678", "label": "work phone"})
    assert created.status_code == 201, created.text
    method = created.json()
    assert (method["channel"], method["address"], method["sendUpdates"]) == ("SMS", "+4915112345678", True)
    updated = client.put(f"/api/users/me/contact-methods/{method['id']}", headers=responder.headers,
                         json={"sendUpdates": False}).json()
    assert updated["sendUpdates"] is False and updated["label"] == "work phone"
    test = client.post(f"/api/users/me/contact-methods/{method['id']}/test", headers=responder.headers)
    assert test.status_code == 202 and test.json()["status"] == "QUEUED"
    assert client.delete(f"/api/users/me/contact-methods/{method['id']}", headers=responder.headers).status_code == 204
    assert client.get("/api/users/me/contact-methods", headers=responder.headers).json() == []


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "", {"label": "mine now"}), ("DELETE", "", None), ("POST", "/test", None)])
def test_another_users_contact_method_is_not_found(client: TestClient, responder: Actor, outsider: Actor,
                                                   method: str, path: str, body: Any) -> None:
    created = client.post("/api/users/me/contact-methods", headers=responder.headers,
                          json={"channel": "EMAIL", "address": "rita@example.com"}).json()
    problem(client.request(method, f"/api/users/me/contact-methods/{created['id']}{path}",
                           headers=outsider.headers, json=body), 404)
    assert client.get("/api/users/me/contact-methods", headers=outsider.headers).json() == []
    [still] = client.get("/api/users/me/contact-methods", headers=responder.headers).json()
    assert still["label"] is None
