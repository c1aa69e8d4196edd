"""SLACK, TEAMS and WEBHOOK channels against a real HTTP server on 127.0.0.1 standing in for the receivers:
the shapes each receiver gets, the webhook signature, escaping, and how answers become SENT, FAILED or a retry.

The stand-in is on loopback, so these tests run with TOCSIN_ALLOW_PRIVATE_WEBHOOKS on (test_ssrf.py covers it
off). Everything goes through the worker with a frozen clock; nothing sleeps."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor
from tests.notifications.conftest import ChatReceiver
from tocsin.app import create_app
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.models import Job, JobStatus
from tocsin.engine.worker import BACKOFF_MAX, Worker
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure
from tocsin.notifications.channels.chat import (
    RetryLater,
    SlackSender,
    TeamsSender,
    WebhookSender,
    fit,
    slack_payload,
    teams_payload,
)
from tocsin.notifications.dispatch import SEND
from tocsin.notifications.models import Channel, MessageKind, Notification
from tocsin.settings import Settings

SECRET = "whsec-0123456789abcdef"
EVIL = "<!channel> *Disk* [accept here](http://evil.example) & <http://evil.example|Accept>\u202e\x07 full"


@pytest.fixture
def settings(db: Database) -> Settings:
    """The stand-in receiver listens on 127.0.0.1: allowed here, as an admin would for an internal server."""
    return Settings(database_url=db.url, base_url="http://testserver", allow_private_webhooks=True,
                    webhook_timeout_seconds=5)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Paging:
    """A team, a policy paging one responder, a source; the responder's chat contact methods."""

    def __init__(self, client: TestClient, worker: Worker, admin: Actor, responder: Actor, team: int) -> None:
        self.client, self.worker, self.admin, self.responder = client, worker, admin, responder
        policy = ok(client.post("/api/escalation-policies", headers=admin.headers, json={
            "name": "Chat", "teams": [{"id": team}],
            "levels": [{"escalationTimeout": 30, "targets": [{"type": "USER", "id": responder.id}]}],
        }), 201)
        source = ok(client.post("/api/alert-sources", headers=admin.headers, json={
            "name": "Disk monitor", "teams": [{"id": team}], "escalationPolicy": {"id": policy["id"]},
        }), 201)
        self.key = source["integrationKey"]

    def contact(self, channel: str, address: str, **extra: Any) -> int:
        body = {"channel": channel, "address": address, **extra}
        return int(ok(self.client.post("/api/users/me/contact-methods", headers=self.responder.headers, json=body),
                      201)["id"])

    def rules(self, *channels: str) -> None:
        steps = [{"channel": c, "delayMin": 0} for c in channels]
        ok(self.client.put("/api/users/me/notification-rules", headers=self.responder.headers,
                           json={"HIGH": steps, "LOW": steps}))

    def alert(self, summary: str, alert_key: str = "disk", *, worker: Worker | None = None) -> int:
        ok(self.client.post(f"/api/events/{self.key}", json={"eventType": "ALERT", "summary": summary,
                                                             "alertKey": alert_key, "priority": "HIGH"}), 202)
        (worker or self.worker).run_until_idle()
        alerts = ok(self.client.get("/api/alerts", headers=self.admin.headers))["items"]
        return int(next(a["id"] for a in alerts if a["summary"] == summary))


@pytest.fixture
def paging(client: TestClient, worker: Worker, admin: Actor, responder: Actor, team: int) -> Paging:
    return Paging(client, worker, admin, responder, team)


def notifications(db: Database) -> list[Notification]:
    with db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


# -- end to end through the worker ---------------------------------------------------------------------------


def test_an_alert_reaches_slack_teams_and_a_signed_webhook(
    paging: Paging, chat_receiver: ChatReceiver, db: Database, clock: FrozenClock, admin: Actor, client: TestClient,
) -> None:
    paging.contact("SLACK", f"{chat_receiver.url}/slack")
    paging.contact("TEAMS", f"{chat_receiver.url}/teams")
    paging.contact("WEBHOOK", f"{chat_receiver.url}/hook", secret=SECRET)
    paging.rules("SLACK", "TEAMS", "WEBHOOK")
    chat_receiver.answer("/teams", 202)  # a Workflows trigger answers 202 Accepted with no body

    alert_id = paging.alert("Disk full on db-1")
    url = f"http://testserver/alerts/{alert_id}"

    [slack] = chat_receiver.at("/slack")
    assert slack.headers["content-type"] == "application/json"
    body = slack.json()
    assert body["text"] == f"[HIGH] #{alert_id} Disk full on db-1 {url}"
    header, section, context, actions = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": f"[HIGH] #{alert_id} Disk full on db-1",
                                                 "emoji": False}}
    assert section["type"] == "section" and "Disk full on db-1" in section["text"]["text"]
    assert section["text"]["type"] == "mrkdwn"
    assert context["elements"][0]["text"] == (f"*Priority:* HIGH   *State:* PENDING   *Source:* Disk monitor   "
                                              f"*Alert:* #{alert_id}")
    assert actions == {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open alert"}, "url": url}]}

    [teams] = chat_receiver.at("/teams")
    message = teams.json()
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, text, facts = card["body"]
    assert title["text"] == rf"\[HIGH\] #{alert_id} Disk full on db-1", "Markdown: brackets escaped"
    assert title["color"] == "Attention"
    assert "Disk full on db-1" in text["text"]
    assert {"title": "Priority", "value": "HIGH"} in facts["facts"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open alert", "url": url}]

    [hook] = chat_receiver.at("/hook")
    rows = {row.channel: row for row in notifications(db)}
    timestamp = hook.headers["x-tocsin-timestamp"]
    assert timestamp == str(int(clock.now().timestamp()))
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["x-tocsin-signature"] == f"sha256={expected}"
    assert hook.headers["idempotency-key"] == rows["WEBHOOK"].idempotency_key
    assert hook.headers["x-tocsin-event"] == "alert"
    assert hook.headers["user-agent"].startswith("tocsin/")
    event = hook.json()
    assert event == {
        "event": "alert",
        "idempotencyKey": rows["WEBHOOK"].idempotency_key,
        "notificationId": rows["WEBHOOK"].id,
        "sentAt": clock.now().isoformat(),
        "recipient": {"name": "Rita Responder"},
        "subject": f"[HIGH] #{alert_id} Disk full on db-1",
        "text": f"HIGH alert #{alert_id} from Disk monitor: Disk full on db-1",
        "alert": {"id": alert_id, "summary": "Disk full on db-1", "priority": "HIGH", "state": "PENDING",
                  "source": "Disk monitor", "url": url},
    }
    assert "Token" not in hook.body.decode(), "personal one-click action links stay out of shared channels"

    assert {row.channel: row.status for row in rows.values()} == {"SLACK": "SENT", "TEAMS": "SENT", "WEBHOOK": "SENT"}
    assert rows["SLACK"].provider_answer == "200 ok" and rows["TEAMS"].provider_answer == "202"

    # Someone else accepts: the responder's channels hear about it (event "update").
    ok(client.put(f"/api/alerts/{alert_id}/accept", headers=admin.headers))
    paging.worker.run_until_idle()
    [_, update] = chat_receiver.at("/hook")
    assert update.json()["event"] == "update" and update.json()["alert"]["state"] == "ACCEPTED"
    assert len(chat_receiver.at("/slack")) == 2 and len(chat_receiver.at("/teams")) == 2


def test_a_webhook_without_a_secret_is_sent_unsigned(paging: Paging, chat_receiver: ChatReceiver) -> None:
    method_id = paging.contact("WEBHOOK", f"{chat_receiver.url}/hook")
    ok(paging.client.post(f"/api/users/me/contact-methods/{method_id}/test", headers=paging.responder.headers), 202)
    paging.worker.run_until_idle()
    [hook] = chat_receiver.requests
    assert "x-tocsin-signature" not in hook.headers and "x-tocsin-timestamp" in hook.headers
    assert hook.json()["event"] == "test" and hook.json()["alert"] is None


def test_attacker_controlled_summaries_are_escaped(paging: Paging, chat_receiver: ChatReceiver) -> None:
    paging.contact("SLACK", f"{chat_receiver.url}/slack")
    paging.contact("TEAMS", f"{chat_receiver.url}/teams")
    paging.contact("WEBHOOK", f"{chat_receiver.url}/hook", secret=SECRET)
    paging.rules("SLACK", "TEAMS", "WEBHOOK")
    paging.alert(EVIL)

    slack = chat_receiver.at("/slack")[0].json()
    mrkdwn = [slack["text"], slack["blocks"][1]["text"]["text"]]
    for text in mrkdwn:
        assert "<" not in text and ">" not in text, "no <!channel> ping, no <url|disguised link>"
        assert "&lt;!channel&gt;" in text and "&amp;" in text
        assert "\u202e" not in text and "\x07" not in text
    assert "<!channel>" in slack["blocks"][0]["text"]["text"], "plain_text headers are not parsed: shown as is"

    card = chat_receiver.at("/teams")[0].json()["attachments"][0]["content"]
    for block in card["body"][:2]:
        assert r"\[accept here\](http://evil.example)" in block["text"], "no disguised Markdown link"
        assert r"\*Disk\*" in block["text"]
    assert card["actions"][0]["url"].startswith("http://testserver/alerts/")

    event = chat_receiver.at("/hook")[0].json()
    assert event["alert"]["summary"].startswith("<!channel> *Disk* [accept here]"), "JSON carries it verbatim"
    assert "\u202e" not in event["alert"]["summary"]


# -- answers: sent, failed for good, or retried ------------------------------------------------------------


@pytest.mark.parametrize(("status", "text", "reason"), [
    (404, "no_service", "Slack at 127.0.0.1 answered 404 no_service"),
    (410, "channel_is_archived", "Slack at 127.0.0.1 answered 410 channel_is_archived"),
    (403, "invalid_token", "Slack at 127.0.0.1 answered 403 invalid_token"),
    (400, "invalid_payload", "Slack at 127.0.0.1 answered 400 invalid_payload"),
])
def test_a_slack_webhook_that_is_gone_fails_the_message_for_good(
    paging: Paging, chat_receiver: ChatReceiver, db: Database, status: int, text: str, reason: str,
) -> None:
    paging.contact("SLACK", f"{chat_receiver.url}/slack")
    paging.rules("SLACK")
    chat_receiver.answer("/slack", status, text)
    alert_id = paging.alert("Disk full on db-1")
    [row] = notifications(db)
    assert (row.status, row.attempts, row.last_error) == ("FAILED", 1, reason)
    with db.session() as session:
        [job] = session.scalars(select(Job).where(Job.kind == SEND))
        assert job.status == JobStatus.DONE.value, "nothing left to retry"
    log = [e["message"] for e in ok(paging.client.get(f"/api/alerts/{alert_id}/log", headers=paging.admin.headers))]
    assert f"Failed to send SLACK notification to Rita Responder: {reason}" in log
    assert len(chat_receiver.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_temporary_failures_are_retried_with_backoff_and_the_same_idempotency_key(
    paging: Paging, chat_receiver: ChatReceiver, db: Database, clock: FrozenClock, status: int,
) -> None:
    paging.contact("WEBHOOK", f"{chat_receiver.url}/hook", secret=SECRET)
    paging.rules("WEBHOOK")
    chat_receiver.answer("/hook", status, "try later", times=2)
    paging.alert("Disk full on db-1")
    [row] = notifications(db)
    assert row.status == "QUEUED" and row.attempts == 1
    assert row.last_error == f"the webhook at 127.0.0.1 answered {status} try later"

    paging.worker.run_until_idle()
    assert len(chat_receiver.requests) == 1, "the retry waits for its backoff"
    for _ in range(2):
        clock.advance(BACKOFF_MAX)
        paging.worker.run_until_idle()
    [row] = notifications(db)
    assert (row.status, row.attempts) == ("SENT", 3)
    keys = {r.headers["idempotency-key"] for r in chat_receiver.requests}
    assert len(chat_receiver.requests) == 3 and keys == {row.idempotency_key}


def test_a_receiver_that_never_answers_times_out_and_is_retried_until_the_engine_gives_up(
    paging: Paging, db: Database, clock: FrozenClock, settings: Settings,
) -> None:
    impatient = Worker(db, clock, create_app(replace(settings, webhook_timeout_seconds=0.2), db=db,
                                             clock=clock).state.tocsin.registry, worker_id="impatient")
    with socket.socket() as silent:  # takes connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        paging.contact("WEBHOOK", f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        paging.rules("WEBHOOK")
        paging.alert("Disk full on db-1", worker=impatient)
        [row] = notifications(db)
        assert row.status == "QUEUED" and row.last_error == "the webhook at 127.0.0.1 did not answer within 0.2 s"
        for _ in range(10):
            clock.advance(BACKOFF_MAX)
            impatient.run_until_idle()
    [row] = notifications(db)
    assert row.status == "FAILED" and row.attempts == 8
    assert row.last_error is not None and row.last_error.startswith("gave up: the webhook at 127.0.0.1 did not answer")


def test_a_redirect_is_not_followed_and_fails_the_message(
    paging: Paging, chat_receiver: ChatReceiver, db: Database,
) -> None:
    paging.contact("TEAMS", f"{chat_receiver.url}/teams")
    paging.rules("TEAMS")
    chat_receiver.answer("/teams", 302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    paging.alert("Disk full on db-1")
    [row] = notifications(db)
    assert row.status == "FAILED"
    assert row.last_error == ("Teams at 127.0.0.1 answered 302: a redirect to "
                              "http://169.254.169.254/latest/meta-data/; redirects are not followed, use the final URL")
    assert [r.path for r in chat_receiver.requests] == ["/teams"]


# -- senders and payloads on their own -------------------------------------------------------------------------


def message(kind: MessageKind = MessageKind.ALERT, *, address: str, summary: str = "Disk full",
            text: str | None = None) -> OutboundMessage:
    alert = {"id": 7, "summary": summary, "priority": "HIGH", "state": "PENDING", "source": "Disk monitor",
             "url": "https://tocsin.example/alerts/7", "acceptToken": "t", "acceptUrl": "https://tocsin.example/a/t"}
    return OutboundMessage(
        notification_id=1, channel=Channel.WEBHOOK, kind=kind, address=address, subject=f"[HIGH] #7 {summary}",
        text=text if text is not None else f"HIGH alert #7 from Disk monitor: {summary}", idempotency_key="k1",
        recipient_name="Rita", contact_data={"secret": SECRET}, alert=alert if kind is not MessageKind.TEST else None,
    )


@pytest.fixture
def senders(settings: Settings, clock: FrozenClock) -> Iterator[dict[str, Any]]:
    yield {"slack": SlackSender(settings, clock=clock), "teams": TeamsSender(settings, clock=clock),
           "webhook": WebhookSender(settings, clock=clock)}


@pytest.mark.parametrize("name", ["slack", "teams", "webhook"])
@pytest.mark.parametrize(("status", "permanent"), [(400, True), (401, True), (404, True), (410, True), (413, True),
                                                   (408, False), (429, False), (500, False), (503, False)])
def test_answers_are_sorted_into_permanent_and_temporary(
    senders: dict[str, Any], chat_receiver: ChatReceiver, name: str, status: int, permanent: bool,
) -> None:
    chat_receiver.answer("/x", status, "nope")
    expected = PermanentFailure if permanent else RetryLater
    with pytest.raises(expected, match=f"answered {status} nope"):
        senders[name].send(message(address=f"{chat_receiver.url}/x"))


def test_an_unreachable_receiver_is_a_temporary_failure(senders: dict[str, Any]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(ConnectionError, match=r"could not reach the webhook at 127\.0\.0\.1"):
            senders["webhook"].send(message(address=f"http://127.0.0.1:{port}/x"))


def test_a_refused_address_is_a_permanent_failure_before_any_request(
    settings: Settings, clock: FrozenClock, chat_receiver: ChatReceiver,
) -> None:
    strict = SlackSender(replace(settings, allow_private_webhooks=False), clock=clock)
    with pytest.raises(PermanentFailure, match=r"Slack URL refused: 127\.0\.0\.1 is a loopback address"):
        strict.send(message(address=f"{chat_receiver.url}/slack"))
    assert chat_receiver.requests == []


def test_long_texts_are_cut_to_what_each_field_takes() -> None:
    long = message(address="https://8.8.8.8/x", summary="é&<" * 5000, text="x&<>" * 5000)
    slack = slack_payload(long)
    assert len(slack["blocks"][0]["text"]["text"]) <= 150
    assert len(slack["blocks"][1]["text"]["text"]) <= 3000 and slack["blocks"][1]["text"]["text"].endswith("…")
    section = slack["blocks"][1]["text"]["text"]
    assert not section[:-1].endswith(("&", "&l", "&lt", "&am", "&amp", "&g")), "no escape cut in half"
    assert len(json.dumps(slack)) < 40_000
    card = teams_payload(long)["attachments"][0]["content"]
    assert all(len(block["text"]) <= 3000 for block in card["body"][:1])
    assert len(json.dumps(card)) < 28_000, "Teams takes messages up to about 28 KB"


def test_fit_cuts_whole_escapes_and_drops_control_characters() -> None:
    assert fit("a\x00b\u202ec\r\nd", 100) == "abc\nd"
    assert fit("<<<<", 10, lambda c: "&lt;" if c == "<" else c) == "&lt;&lt;…"
    assert fit("short", 5) == "short"
    assert fit("longer", 5) == "long…"
