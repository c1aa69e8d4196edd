"""Push: the engine pages a responder through a push service, the message reaches the app's service
worker (delivered through the DevTools protocol, as the browser's push service would), the worker shows
a notification with Accept / Resolve, and Accept accepts the alert without opening the app."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.conftest import START, Factory
from tests.e2e.conftest import Api, Phone, Team
from tests.notifications.push_service import PushService
from tocsin.auth.models import Role
from tocsin.engine.worker import Worker


def _registration_id(phone: Phone) -> tuple[Any, str]:
    """The DevTools session and the id of the app's service worker registration."""
    cdp = phone.context.new_cdp_session(phone.page)
    found: dict[str, str] = {}

    def updated(params: dict[str, Any]) -> None:
        for registration in params["registrations"]:
            if registration["scopeURL"] == phone.base_url + "/" and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while "id" not in found and time.monotonic() < deadline:
        phone.page.wait_for_timeout(50)  # lets Playwright dispatch the DevTools events
    assert "id" in found, "the app's service worker never registered"
    return cdp, found["id"]


def test_push_shows_a_notification_whose_accept_button_accepts_the_alert(
    phone: Phone, api: Api, factory: Factory, crew: Team, worker: Worker, push_service: PushService,
) -> None:
    responder = crew.responder
    # What the app's "Turn on push" does in a browser with a push service: subscribe with the VAPID key
    # and register the subscription. Headless chromium has no push service, so the stand-in takes its place.
    server_key = api.call("GET", "/api/push/vapid-public-key", responder)["applicationServerKey"]
    browser_side = push_service.browser(server_key)
    api.call("POST", "/api/users/me/push-subscriptions", responder, json=browser_side.subscription())
    api.call("PUT", "/api/users/me/notification-rules", responder,
             json={"HIGH": [{"channel": "PUSH", "delayMin": 0}], "LOW": []})
    policy = api.call("POST", "/api/escalation-policies", crew.admin, json={
        "name": "Platform", "teams": [{"id": crew.id}],
        "levels": [{"escalationTimeout": 10, "targets": [{"type": "USER", "id": responder.id}]}]})
    source = factory.source(teams=(crew.id,), escalation_policy_id=policy["id"])

    phone.context.grant_permissions(["notifications"], origin=phone.base_url)
    phone.login(responder)
    phone.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp, registration_id = _registration_id(phone)
    [service_worker] = phone.context.service_workers

    api.event(source.key, summary="Database replica lag 45s", alertKey="replica-lag", priority="HIGH")
    worker.run_until_idle()
    assert push_service.refused == []
    [delivery] = push_service.deliveries
    payload = delivery.payload
    assert payload["type"] == "alert" and [a["action"] for a in payload["actions"]] == ["accept", "resolve"]

    cdp.send("ServiceWorker.deliverPushMessage", {"origin": phone.base_url, "registrationId": registration_id,
                                                  "data": json.dumps(payload)})
    shown = service_worker.evaluate("""async () => {
        for (let i = 0; i < 100; i++) {
            const found = await self.registration.getNotifications();
            if (found.length) return found.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                                       actions: n.actions.map(a => [a.action, a.title])}));
            await new Promise(r => setTimeout(r, 50));
        }
        return [];
    }""")
    assert shown == [{"title": f"[HIGH] #{payload['alertId']} Database replica lag 45s", "body": payload["body"],
                      "tag": f"alert-{payload['alertId']}", "actions": [["accept", "Accept"], ["resolve", "Resolve"]]}]

    # Pressing Accept: the browser would fire notificationclick with action "accept". DevTools cannot press
    # a notification's button, so the same event is dispatched inside the service worker.
    service_worker.evaluate("""async () => {
        const [notification] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent("notificationclick", {notification, action: "accept"}));
    }""")
    alert: dict[str, Any] = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alert = api.call("GET", f"/api/alerts/{payload['alertId']}", responder)
        if alert["state"] != "PENDING":
            break
        phone.page.wait_for_timeout(50)
    assert alert["state"] == "ACCEPTED"
    assert alert["acceptedBy"]["id"] == responder.id
    assert phone.page.url.endswith("/alerts")  # the app was not opened or navigated
    result = service_worker.evaluate("""async () => {
        for (let i = 0; i < 100; i++) {
            const [n] = await self.registration.getNotifications();
            if (n && n.title.startsWith("Accepted")) return {title: n.title, actions: n.actions.length};
            await new Promise(r => setTimeout(r, 50));
        }
        return null;
    }""")
    assert result == {"title": f"Accepted: #{payload['alertId']}", "actions": 0}


def test_a_coverage_request_push_opens_the_request(
    phone: Phone, api: Api, factory: Factory, crew: Team, worker: Worker, push_service: PushService,
) -> None:
    receiver = crew.responder
    sender = factory.user(Role.RESPONDER, teams=(crew.id,), name="Sam Sender")
    schedule = api.call("POST", "/api/schedules", crew.admin, json={
        "name": "Platform primary", "timezone": "UTC", "teams": [{"id": crew.id}],
        "layers": [{"start": START.isoformat(), "users": [{"id": sender.id}]}]})
    server_key = api.call("GET", "/api/push/vapid-public-key", receiver)["applicationServerKey"]
    api.call("POST", "/api/users/me/push-subscriptions", receiver,
             json=push_service.browser(server_key).subscription())
    phone.context.grant_permissions(["notifications"], origin=phone.base_url)
    phone.login(receiver)
    phone.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp, registration_id = _registration_id(phone)
    [service_worker] = phone.context.service_workers

    start = START + timedelta(hours=3)
    request = api.call("POST", "/api/coverage-requests", sender, json={
        "receiver": {"id": receiver.id}, "message": "Flight home",
        "shifts": [{"schedule": {"id": schedule["id"]}, "start": start.isoformat(),
                    "end": (start + timedelta(hours=2)).isoformat()}]})
    worker.run_until_idle()
    [delivery] = push_service.deliveries
    assert delivery.payload["coverageRequestId"] == request["id"]
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": phone.base_url, "registrationId": registration_id,
                                                  "data": json.dumps(delivery.payload)})
    shown = service_worker.evaluate("""async () => {
        for (let i = 0; i < 100; i++) {
            const found = await self.registration.getNotifications();
            if (found.length) return found.map(n => n.title);
            await new Promise(r => setTimeout(r, 50));
        }
        return [];
    }""")
    assert shown == ["Can you cover for Sam Sender?"]
    # Clicking the notification's body opens the request in the app.
    service_worker.evaluate("""async () => {
        const [notification] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent("notificationclick", {notification}));
    }""")
    phone.page.wait_for_url(f"**/coverage-requests/{request['id']}", timeout=10_000)
    expect(phone.page.get_by_text("Flight home")).to_be_visible()
