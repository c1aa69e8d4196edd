"""The full A-to-B flow with real SMTP and Web Push: create, notify, accept, decline, cancel."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Actor
from tests.coverage.conftest import Crew, subscribe
from tests.coverage.helpers import act, made, on_call, shift
from tests.notifications.conftest import SmtpHandler
from tests.notifications.push_service import PushService
from tocsin.engine.worker import Worker


def test_create_emails_a_receiver_without_push_and_accept_pushes_to_the_sender(
    client: TestClient, crew: Crew, worker: Worker, smtp_server: SmtpHandler, push_service: PushService,
    admin: Actor,
) -> None:
    alice_phone = subscribe(client, crew.alice, push_service)
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T12:00", "03-04T14:00"),
                   message="Dentist, sorry!")
    assert request["state"] == "PENDING" and request["receiver"]["name"] == "Bob"
    assert request["sender"] == {"id": crew.alice.id, "name": "Alice", "timezone": "Europe/Berlin"}
    assert request["expiresAt"] == "2026-03-04T14:00:00Z" and request["expired"] is False
    worker.run_until_idle()

    # Bob has no push subscription: one email to his account address, in his own time zone.
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [crew.bob.email]
    text = mail.part("plain")
    assert "Alice asks you to take this on-call shift" in text
    assert "Wed 04 Mar 06:00 to Wed 04 Mar 08:00 (America/Chicago)" in text
    assert "Dentist, sorry!" in text
    assert f"http://testserver/coverage-requests/{request['id']}" in text
    assert "Accept: http://testserver/coverage-actions/" in text and "Decline: http://testserver/" in text
    assert push_service.deliveries == []

    # Accept: Bob is on call for exactly those two hours; Alice's phone is told.
    accepted = act(client, crew.bob, request, "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "ACCEPTED" and accepted.json()["actedBy"]["name"] == "Bob"
    assert [on_call(client, admin, crew.schedule, t) for t in ("03-04T11:59", "03-04T12:00", "03-04T13:59",
                                                              "03-04T14:00")] == ["Alice", "Bob", "Bob", "Alice"]
    worker.run_until_idle()
    [push] = push_service.deliveries
    assert push.browser is alice_phone
    assert push.payload["kind"] == "coverage-request" and push.payload["coverageRequestId"] == request["id"]
    assert push.payload["url"] == f"http://testserver/coverage-requests/{request['id']}"
    assert push.payload["title"] == "Bob will cover for you"
    assert len(smtp_server.messages) == 1  # Alice has a push subscription: no email for her


def test_escalation_targets_follow_an_accepted_request(client: TestClient, crew: Crew, admin: Actor) -> None:
    policy = client.post("/api/escalation-policies", headers=admin.headers, json={
        "name": "Ops", "teams": [{"id": crew.team}],
        "levels": [{"escalationTimeout": 5, "targets": [{"type": "SCHEDULE", "id": crew.schedule["id"]}]}],
    }).json()

    def paged(at: str) -> list[str]:
        preview = client.get(f"/api/escalation-policies/{policy['id']}/preview", headers=admin.headers,
                             params={"at": f"2026-{at}:00Z"}).json()
        return [u["name"] for u in preview["levels"][0]["users"]]

    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T12:00", "03-04T14:00"))
    assert paged("03-04T13:00") == ["Alice"]
    assert act(client, crew.bob, request, "accept").status_code == 200
    assert (paged("03-04T11:00"), paged("03-04T13:00"), paged("03-04T15:00")) == (["Alice"], ["Bob"], ["Alice"])


def test_decline_with_a_comment_tells_the_sender(client: TestClient, crew: Crew, worker: Worker,
                                                 smtp_server: SmtpHandler) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T09:00", "03-05T09:00"))
    declined = act(client, crew.bob, request, "decline", declineComment="I'm away that week")
    assert declined.status_code == 200, declined.text
    body = declined.json()
    assert (body["state"], body["declineComment"], body["actedBy"]["name"]) == ("DECLINED", "I'm away that week",
                                                                                 "Bob")
    worker.run_until_idle()
    to_alice = [m for m in smtp_server.messages if m.rcpt_tos == [crew.alice.email]]
    [mail] = to_alice
    assert mail.message["Subject"] == "Bob declined your coverage request"
    assert "Bob wrote: I'm away that week" in mail.part("plain")
    assert "Wed 04 Mar 10:00 to Thu 05 Mar 10:00 (Europe/Berlin)" in mail.part("plain")
    assert on_call(client, crew.alice, crew.schedule, "03-04T12:00") == "Alice"


def test_cancel_tells_the_receiver_and_an_accepted_request_cannot_be_cancelled(
    client: TestClient, crew: Crew, worker: Worker, smtp_server: SmtpHandler, admin: Actor,
) -> None:
    first = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T09:00", "03-04T12:00"))
    assert act(client, crew.bob, first, "cancel").status_code == 403  # only the sender
    cancelled = act(client, crew.alice, first, "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "CANCELLED"
    assert act(client, crew.alice, first, "cancel").status_code == 200  # again: nothing changes
    assert act(client, crew.bob, first, "accept").status_code == 409
    worker.run_until_idle()
    subjects = [(m.rcpt_tos, m.message["Subject"]) for m in smtp_server.messages]
    assert ([crew.bob.email], "Alice cancelled a coverage request") in subjects

    second = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T09:00", "03-04T12:00"))
    assert act(client, crew.bob, second, "accept").status_code == 200
    refused = act(client, admin, second, "cancel")
    assert refused.status_code == 409 and "handed over" in refused.json()["detail"]
    third = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-06T09:00", "03-06T12:00"))
    assert act(client, admin, third, "cancel").json()["state"] == "CANCELLED"  # admins may cancel


def test_the_email_links_confirm_then_act_once(client: TestClient, crew: Crew, worker: Worker,
                                               smtp_server: SmtpHandler) -> None:
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T12:00", "03-04T14:00"))
    worker.run_until_idle()
    text = smtp_server.messages[0].part("plain")
    link = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Accept: "))
    path = link.removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200 and "Accept coverage request" in page.text and 'method="post"' in page.text
    assert client.get(f"/api/coverage-requests/{request['id']}", headers=crew.bob.headers).json()["state"] == \
        "PENDING"  # the GET changed nothing
    done = client.post(path)
    assert done.status_code == 200 and "accepted" in done.text
    assert on_call(client, crew.bob, crew.schedule, "03-04T13:00") == "Bob"
    again = client.post(path)
    assert again.status_code == 400 and "already used" in again.text
    assert client.get(path.replace("/coverage-actions/", "/coverage-actions/x")).status_code == 400
