"""Web Push: subscriptions through the API, messages through a real push service on 127.0.0.1 that
checks VAPID and decrypts the RFC 8291 payload with the browser's private key."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Actor, Factory
from tests.notifications.push_service import Browser, PushService, b64, unb64
from tocsin.app import create_app
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.worker import Worker
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import AlertAction
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure
from tocsin.notifications.channels.webpush import (
    MAX_PAYLOAD_BYTES,
    VAPID_KEY_NAME,
    PushServiceUnavailable,
    SubscriptionGone,
    WebPushSender,
    application_server_key,
)
from tocsin.notifications.models import AppSecret, Channel, ContactMethod, MessageKind, MessageStatus, Notification
from tocsin.settings import Settings

SUBSCRIPTIONS = "/api/users/me/push-subscriptions"


@pytest.fixture
def settings(db: Database) -> Settings:
    # The local push service speaks plain http on 127.0.0.1: both have to be allowed here.
    return Settings(database_url=db.url, base_url="http://testserver", push_allow_http=True,
                    allow_private_webhooks=True)


def server_key(client: TestClient, actor: Actor) -> str:
    response = client.get("/api/push/vapid-public-key", headers=actor.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["applicationServerKey"])


def subscribe(client: TestClient, actor: Actor, push_service: PushService) -> tuple[Browser, int]:
    browser = push_service.browser(server_key(client, actor))
    response = client.post(SUBSCRIPTIONS, headers=actor.headers, json=browser.subscription())
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "PUSH"
    return browser, int(response.json()["id"])


def page_on_push(client: TestClient, admin: Actor, responder: Actor, team: int, priority: str = "HIGH",
                 summary: str = "Disk full on db-1") -> int:
    """Rules PUSH at 0 minutes, a policy paging the responder, an alert; returns the alert id."""
    rules = {"HIGH": [{"channel": "PUSH", "delayMin": 0}], "LOW": [{"channel": "PUSH", "delayMin": 0}]}
    assert client.put("/api/users/me/notification-rules", headers=responder.headers, json=rules).status_code == 200
    policy = client.post("/api/escalation-policies", headers=admin.headers, json={
        "name": "Ops", "teams": [{"id": team}],
        "levels": [{"escalationTimeout": 10, "targets": [{"type": "USER", "id": responder.id}]}]})
    assert policy.status_code == 201, policy.text
    source = client.post("/api/alert-sources", headers=admin.headers, json={
        "name": "Prometheus", "teams": [{"id": team}], "escalationPolicy": {"id": policy.json()["id"]}})
    assert source.status_code == 201, source.text
    event = {"eventType": "ALERT", "summary": summary, "alertKey": "disk", "priority": priority}
    assert client.post(f"/api/events/{source.json()['integrationKey']}", json=event).status_code == 202
    alerts = client.get("/api/alerts", headers=admin.headers).json()["items"]
    return int(alerts[0]["id"])


def notifications(db: Database) -> list[Notification]:
    with db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def push_methods(db: Database) -> list[ContactMethod]:
    with db.session() as session:
        query = select(ContactMethod).where(ContactMethod.channel == Channel.PUSH.value).order_by(ContactMethod.id)
        return list(session.scalars(query))


def outbound(browser: Browser, kind: MessageKind = MessageKind.TEST, alert: dict[str, Any] | None = None,
             text: str = "This is a test notification from tocsin.") -> OutboundMessage:
    return OutboundMessage(notification_id=7, channel=Channel.PUSH, kind=kind, address=browser.endpoint,
                           subject="tocsin test notification", text=text, idempotency_key="k7",
                           recipient_name="Rita", contact_data=browser.subscription(), alert=alert)


# --- end to end ------------------------------------------------------------------------------------


def test_alert_reaches_the_browser_encrypted_and_signed(
    client: TestClient, db: Database, clock: FrozenClock, worker: Worker, push_service: PushService,
    admin: Actor, responder: Actor, team: int,
) -> None:
    browser, _method_id = subscribe(client, responder, push_service)
    alert_id = page_on_push(client, admin, responder, team)
    worker.run_until_idle()

    assert push_service.refused == []
    [delivery] = push_service.deliveries
    assert delivery.browser is browser
    payload = delivery.payload
    assert payload["type"] == "alert"
    assert payload["alertId"] == alert_id
    assert payload["summary"] == "Disk full on db-1"
    assert payload["priority"] == "HIGH"
    assert payload["state"] == "PENDING"
    assert payload["url"] == f"http://testserver/alerts/{alert_id}"
    assert payload["title"] == f"[HIGH] #{alert_id} Disk full on db-1"
    assert [a["action"] for a in payload["actions"]] == ["accept", "resolve"]
    with db.session(write=True) as session:
        for action in payload["actions"]:
            grant = action_tokens.verify(session, clock, action["token"])
            assert (grant.alert_id, grant.action, grant.user_id) == (alert_id, AlertAction(action["action"]),
                                                                     responder.id)
    # RFC 8030 / 8292 headers: a HIGH page is urgent; later messages about this alert replace it.
    assert delivery.headers["urgency"] == "high"
    assert delivery.headers["topic"] == f"alert-{alert_id}"
    assert int(delivery.headers["ttl"]) == 3600
    assert delivery.claims["aud"] == push_service.url
    assert delivery.claims["sub"] == "mailto:admin@testserver"
    assert delivery.claims["exp"] == int((clock.now() + timedelta(hours=12)).timestamp())

    [row] = notifications(db)
    assert (row.channel, row.kind, row.status) == ("PUSH", "ALERT", "SENT")
    assert row.provider_answer == f"201 Created {push_service.url}/m/1"
    log = client.get(f"/api/alerts/{alert_id}/log", headers=admin.headers).json()
    assert "Sent PUSH notification to Rita Responder" in [entry["message"] for entry in log]


def test_low_alert_is_normal_urgency_and_updates_follow(
    client: TestClient, db: Database, worker: Worker, push_service: PushService, admin: Actor, responder: Actor,
    team: int,
) -> None:
    subscribe(client, responder, push_service)
    alert_id = page_on_push(client, admin, responder, team, priority="LOW")
    worker.run_until_idle()
    assert push_service.deliveries[0].headers["urgency"] == "normal"
    # Someone else accepts: the responder's browser hears it, with no action buttons.
    assert client.put(f"/api/alerts/{alert_id}/accept", headers=admin.headers).status_code == 200
    worker.run_until_idle()
    update = push_service.deliveries[1]
    assert (update.payload["type"], update.payload["alertId"], update.payload["state"]) == (
        "update", alert_id, "ACCEPTED")
    assert "actions" not in update.payload
    assert update.headers["topic"] == f"alert-{alert_id}"


def test_send_test_from_the_api(client: TestClient, worker: Worker, push_service: PushService,
                                responder: Actor) -> None:
    _browser, method_id = subscribe(client, responder, push_service)
    sent = client.post(f"/api/users/me/contact-methods/{method_id}/test", headers=responder.headers)
    assert sent.status_code == 202, sent.text
    worker.run_until_idle()
    [delivery] = push_service.deliveries
    assert delivery.payload == {"type": "test", "notificationId": sent.json()["notificationId"],
                                "title": "tocsin test notification",
                                "body": "This is a test notification from tocsin. It works.",
                                "url": "http://testserver/"}
    assert delivery.headers["urgency"] == "high"
    assert int(delivery.headers["ttl"]) == 600
    assert "topic" not in delivery.headers


@pytest.mark.parametrize("status", [410, 404])
def test_gone_subscription_is_removed_and_the_failure_logged(
    client: TestClient, db: Database, worker: Worker, push_service: PushService, admin: Actor, responder: Actor,
    team: int, status: int,
) -> None:
    browser, _method_id = subscribe(client, responder, push_service)
    push_service.answer(browser, status)
    alert_id = page_on_push(client, admin, responder, team)
    worker.run_until_idle()

    assert push_service.deliveries == []
    assert push_methods(db) == []
    [row] = notifications(db)
    assert row.status == MessageStatus.FAILED.value
    assert row.attempts == 1  # not retried
    assert row.contact_method_id is None
    log = [e["message"] for e in client.get(f"/api/alerts/{alert_id}/log", headers=admin.headers).json()]
    failed = [m for m in log if m.startswith("Failed to send PUSH notification to Rita Responder")]
    assert len(failed) == 1 and f"the push subscription is gone ({status}" in failed[0], log
    assert client.get("/api/users/me/contact-methods", headers=responder.headers).json() == []


def test_busy_push_service_is_retried(
    client: TestClient, db: Database, clock: FrozenClock, worker: Worker, push_service: PushService, admin: Actor,
    responder: Actor, team: int,
) -> None:
    browser, _method_id = subscribe(client, responder, push_service)
    push_service.answer(browser, 429, 503)
    page_on_push(client, admin, responder, team)
    worker.run_until_idle()
    [row] = notifications(db)
    assert (row.status, row.attempts) == ("QUEUED", 1)
    assert row.last_error == "push service answered 429 Too Many Requests"
    clock.advance(timedelta(seconds=5))
    worker.run_until_idle()
    [row] = notifications(db)
    assert (row.status, row.attempts, row.last_error) == ("QUEUED", 2, "push service answered 503 Service Unavailable")
    assert push_service.deliveries == []
    clock.advance(timedelta(seconds=10))
    worker.run_until_idle()
    [row] = notifications(db)
    assert (row.status, row.attempts) == ("SENT", 3)
    assert len(push_service.deliveries) == 1
    assert len(push_methods(db)) == 1


# --- the channel on its own ------------------------------------------------------------------------


@pytest.fixture
def sender(settings: Settings, db: Database, clock: FrozenClock) -> WebPushSender:
    return WebPushSender.from_settings(settings, db, clock)


def own_browser(push_service: PushService, sender: WebPushSender) -> Browser:
    return push_service.browser(application_server_key(sender.key))


def test_long_summary_is_cut_to_fit(sender: WebPushSender, push_service: PushService) -> None:
    browser = own_browser(push_service, sender)
    summary = "Ünïcödé 🔥 \"quoted\" \\ " * 400
    alert = {"id": 5, "summary": summary, "priority": "HIGH", "state": "PENDING",
             "url": "http://testserver/alerts/5", "acceptToken": "a" * 120, "resolveToken": "r" * 120}
    sender.send(outbound(browser, MessageKind.ALERT, alert, text="details " * 2000))
    [delivery] = push_service.deliveries
    payload = delivery.payload
    assert len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()) <= MAX_PAYLOAD_BYTES
    assert delivery.size < 4096
    assert payload["summary"].endswith("…") and summary.startswith(payload["summary"][:-1])
    assert payload["summary"][:-1] and payload["alertId"] == 5
    assert [a["token"] for a in payload["actions"]] == ["a" * 120, "r" * 120]  # the actions are never cut


def test_push_service_answers(sender: WebPushSender, push_service: PushService) -> None:
    browser = own_browser(push_service, sender)
    push_service.answer(browser, 500, 413, 400, 301)
    with pytest.raises(PushServiceUnavailable, match="500"):
        sender.send(outbound(browser))
    with pytest.raises(PermanentFailure, match="refused the message: 413"):
        sender.send(outbound(browser))
    with pytest.raises(PermanentFailure, match="refused the message: 400"):
        sender.send(outbound(browser))
    with pytest.raises(PermanentFailure, match="redirects are not followed"):
        sender.send(outbound(browser))
    assert sender.send(outbound(browser)).startswith("201 Created")


def test_subscription_made_with_another_key_is_refused(sender: WebPushSender, push_service: PushService) -> None:
    other = push_service.browser(b64(b"\x04" + bytes(64)))
    with pytest.raises(PermanentFailure, match="refused the message: 403") as raised:
        sender.send(outbound(other))
    assert not isinstance(raised.value, SubscriptionGone)
    assert push_service.refused == ["the VAPID key is not the one the subscription was made with"]


def test_push_service_down_is_retried(sender: WebPushSender, push_service: PushService) -> None:
    from tests.live import free_port

    browser = own_browser(push_service, sender)
    browser.endpoint = f"http://127.0.0.1:{free_port()}/push/nobody"
    with pytest.raises(PushServiceUnavailable, match=r"could not reach the push service at 127\.0\.0\.1"):
        sender.send(outbound(browser))


@pytest.mark.parametrize(
    ("endpoint", "allow_http", "allow_private", "why"),
    [
        ("http://push.example/x", False, False, "must be an https URL"),
        ("https://127.0.0.1/x", False, False, "loopback"),
        ("https://169.254.169.254/latest", True, True, "link-local"),
        ("https://10.0.0.8/x", False, False, "private network"),
        ("ftp://push.example/x", True, True, "only http:// and https://"),
    ],
)
def test_unsafe_endpoints_are_never_called(
    db: Database, clock: FrozenClock, push_service: PushService, endpoint: str, allow_http: bool,
    allow_private: bool, why: str,
) -> None:
    sender = WebPushSender(db, clock, base_url="http://testserver", subject="mailto:ops@example.com",
                           allow_http=allow_http, allow_private=allow_private)
    browser = push_service.browser("unused")
    browser.endpoint = endpoint
    with pytest.raises(PermanentFailure, match=why):
        sender.send(outbound(browser))


def test_host_names_are_resolved_and_checked_before_each_send(db: Database, clock: FrozenClock,
                                                              push_service: PushService) -> None:
    sender = WebPushSender(db, clock, base_url="http://testserver", subject="mailto:ops@example.com",
                           allow_http=True, resolver=lambda host, port: ["192.168.1.20"])
    browser = push_service.browser("unused")
    browser.endpoint = "https://push.example.com/x"
    with pytest.raises(PermanentFailure, match=r"push\.example\.com resolves to 192\.168\.1\.20"):
        sender.send(outbound(browser))


# --- VAPID keys ------------------------------------------------------------------------------------


def test_vapid_key_is_made_once_and_kept_across_restarts(
    settings: Settings, db: Database, clock: FrozenClock, factory: Factory,
) -> None:
    user = factory.user(Role.USER)
    with TestClient(create_app(settings, db=db, clock=clock)) as first:
        key = server_key(first, user)
        assert server_key(first, user) == key
    with TestClient(create_app(settings, db=db, clock=clock)) as second:
        assert server_key(second, user) == key
    raw = unb64(key)
    assert len(raw) == 65 and raw[0] == 0x04
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AppSecret).where(AppSecret.name == VAPID_KEY_NAME)) == 1
        stored = session.scalar(select(AppSecret.value).where(AppSecret.name == VAPID_KEY_NAME))
    assert stored is not None and stored.startswith("-----BEGIN PRIVATE KEY-----")
    # The worker signs with that same key.
    assert application_server_key(WebPushSender.from_settings(settings, db, clock).key) == key


def test_vapid_public_key_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/push/vapid-public-key").status_code == 401


# --- the subscription API --------------------------------------------------------------------------


def test_subscribing_again_reuses_the_contact_method(client: TestClient, db: Database, push_service: PushService,
                                                     responder: Actor) -> None:
    browser, method_id = subscribe(client, responder, push_service)
    renewed = Browser(browser.endpoint, browser.server_key)  # same endpoint, new keys
    again = client.post(SUBSCRIPTIONS, headers=responder.headers,
                        json={**renewed.subscription(), "expirationTime": 1_900_000_000_000, "label": "Phone"})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == method_id and again.json()["label"] == "Phone"
    [method] = push_methods(db)
    assert method.data == {"keys": renewed.subscription()["keys"], "expirationTime": 1_900_000_000_000}
    listed = client.get("/api/users/me/contact-methods", headers=responder.headers).json()
    assert [(m["id"], m["channel"]) for m in listed] == [(method_id, "PUSH")]
    assert listed[0]["address"].startswith(push_service.url) and listed[0]["address"].endswith("…")


def test_subscriptions_belong_to_their_user(client: TestClient, db: Database, push_service: PushService,
                                            responder: Actor, outsider: Actor) -> None:
    browser, mine = subscribe(client, responder, push_service)
    gone = client.request("DELETE", SUBSCRIPTIONS, headers=outsider.headers, json={"endpoint": browser.endpoint})
    assert gone.status_code == 404
    assert [m.id for m in push_methods(db)] == [mine]
    # The same browser subscribed by someone else is a contact method of theirs, apart from the first.
    theirs = client.post(SUBSCRIPTIONS, headers=outsider.headers, json=browser.subscription())
    assert theirs.status_code == 201 and theirs.json()["id"] != mine
    assert client.request("DELETE", SUBSCRIPTIONS, headers=responder.headers,
                          json={"endpoint": browser.endpoint}).status_code == 204
    assert [(m.id, m.user_id) for m in push_methods(db)] == [(theirs.json()["id"], outsider.id)]
    assert client.request("DELETE", SUBSCRIPTIONS, headers=responder.headers,
                          json={"endpoint": browser.endpoint}).status_code == 404
    assert client.post(SUBSCRIPTIONS, json=browser.subscription()).status_code == 401
    # Push contact methods come from the browser only, not from the generic contact-method route.
    manual = client.post("/api/users/me/contact-methods", headers=responder.headers,
                         json={"channel": "PUSH", "address": browser.endpoint})
    assert manual.status_code == 400


def _keys(p256dh: bytes | str, auth: bytes | str) -> dict[str, str]:
    return {"p256dh": p256dh if isinstance(p256dh, str) else b64(p256dh),
            "auth": auth if isinstance(auth, str) else b64(auth)}


_POINT = Browser("x", "x").p256dh


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://push.example/abc"}, "endpoint"),
        ({"endpoint": "https://user:pw@push.example/abc"}, "endpoint"),
        ({"endpoint": "https://127.0.0.1/abc"}, "endpoint"),
        ({"endpoint": "https://[::1]/abc"}, "endpoint"),
        ({"endpoint": "https://169.254.169.254/abc"}, "endpoint"),
        ({"endpoint": "https://push.example/a b"}, "endpoint"),
        ({"endpoint": "https://push.example/" + "a" * 2100}, "endpoint"),
        ({"endpoint": "not a url at all"}, "endpoint"),
        ({"keys": _keys(bytes(65), bytes(16))}, "keys"),  # not an uncompressed point
        ({"keys": _keys(b"\x04" + bytes(64), bytes(16))}, "keys"),  # not on the curve
        ({"keys": _keys(unb64(_POINT)[:64], bytes(16))}, "keys"),  # too short
        ({"keys": _keys(_POINT, bytes(15))}, "keys"),
        ({"keys": _keys(_POINT, "not*base64url!!!")}, "keys"),
        ({"keys": _keys("+/+/" + _POINT[4:], bytes(16))}, "keys"),  # plain base64, not base64url
        ({"keys": {"p256dh": _POINT}}, "keys.auth"),
        ({"keys": {**_keys(_POINT, bytes(16)), "extra": "x"}}, "keys.extra"),
        ({"expirationTime": "soon"}, "expirationTime"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_subscription_validation(
    settings: Settings, db: Database, clock: FrozenClock, responder: Actor, change: dict[str, Any], field: str,
) -> None:
    strict = Settings(database_url=db.url, base_url="http://testserver")  # the production defaults
    app: FastAPI = create_app(strict, db=db, clock=clock)
    body = {"endpoint": "https://push.example/abc", "expirationTime": None, "keys": _keys(_POINT, bytes(16)),
            **change}
    with TestClient(app) as client:
        response = client.post(SUBSCRIPTIONS, headers=responder.headers, json=body)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"].startswith(field), response.json()
        ok = client.post(SUBSCRIPTIONS, headers=responder.headers,
                         json={"endpoint": "https://push.example/abc", "keys": _keys(_POINT, bytes(16))})
        assert ok.status_code == 201, ok.text
    assert len(push_methods(db)) == 1
