"""Scenario harness: build users, policies and sources through the API, send events, move the
frozen clock, run the worker until idle, and check exactly which messages each device received."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.engine.worker import Worker
from tocsin.notifications.channels.base import OutboundMessage
from tocsin.notifications.models import Channel


@dataclass(frozen=True)
class Received:
    """What a device shows: which channel, to whom, what kind, about which alert."""

    channel: str
    to: str
    kind: str
    alert: int | None


class Devices:
    """Stands in for the providers at the far end of every channel: records what arrives."""

    def __init__(self) -> None:
        self.inbox: list[OutboundMessage] = []
        self.history: list[OutboundMessage] = []
        self.failing: set[str] = set()

    def sender(self, channel: Channel) -> DeviceSender:
        return DeviceSender(channel, self)

    def take(self) -> list[Received]:
        got = [Received(m.channel.value, m.address, m.kind.value, m.alert["id"] if m.alert else None)
               for m in self.inbox]
        self.inbox.clear()
        return got


@dataclass
class DeviceSender:
    channel: Channel
    devices: Devices

    def send(self, message: OutboundMessage) -> str:
        if message.address in self.devices.failing:
            raise ConnectionError(f"{message.address} unreachable")
        self.devices.inbox.append(message)
        self.devices.history.append(message)
        return f"delivered-{message.notification_id}"


@dataclass
class Person:
    actor: Actor
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.actor.id

    @property
    def headers(self) -> dict[str, str]:
        return self.actor.headers

    def at(self, channel: str, kind: str, alert: int | None) -> Received:
        return Received(channel, self.addresses[channel], kind, alert)


class Scenario:
    def __init__(self, client: TestClient, factory: Factory, clock: FrozenClock, worker: Worker,
                 devices: Devices) -> None:
        self.client = client
        self.factory = factory
        self.clock = clock
        self.worker = worker
        self.devices = devices
        self.team = factory.team("On-call")
        self.admin = factory.user(Role.ADMIN, name="Admin")

    def person(self, name: str, *, high: list[tuple[str, int]] | None = None,
               low: list[tuple[str, int]] | None = None, channels: tuple[str, ...] = ("EMAIL", "SMS")) -> Person:
        actor = self.factory.user(Role.RESPONDER, teams=(self.team,), name=name)
        person = Person(actor)
        slug = name.lower().replace(" ", ".")
        for n, channel in enumerate(channels):
            address = f"{slug}@example.com" if channel == "EMAIL" else f"+4915100000{actor.id:02d}{n}"
            self.ok(self.client.post("/api/users/me/contact-methods", headers=actor.headers,
                                     json={"channel": channel, "address": address}))
            person.addresses[channel] = address
        rules = {"HIGH": [{"channel": c, "delayMin": d} for c, d in (high or [("EMAIL", 0)])],
                 "LOW": [{"channel": c, "delayMin": d} for c, d in (low or [("EMAIL", 0)])]}
        self.ok(self.client.put("/api/users/me/notification-rules", headers=actor.headers, json=rules))
        return person

    def policy(self, *levels: tuple[int, list[Person]], **options: Any) -> int:
        body = {
            "name": "Policy",
            "teams": [{"id": self.team}],
            "levels": [{"escalationTimeout": timeout, "targets": [{"type": "USER", "id": p.id} for p in people]}
                       for timeout, people in levels],
            **options,
        }
        return int(self.ok(self.client.post("/api/escalation-policies", headers=self.admin.headers,
                                            json=body))["id"])

    def source(self, policy_id: int | None, **options: Any) -> str:
        body = {"name": "Service", "teams": [{"id": self.team}], **options}
        if policy_id is not None:
            body["escalationPolicy"] = {"id": policy_id}
        return str(self.ok(self.client.post("/api/alert-sources", headers=self.admin.headers,
                                            json=body))["integrationKey"])

    def alert(self, key: str, alert_key: str = "a", **body: Any) -> int:
        body = {"eventType": "ALERT", "summary": f"Trouble with {alert_key}", "alertKey": alert_key, **body}
        self.ok(self.client.post(f"/api/events/{key}", json=body), 202)
        self.worker.run_until_idle()
        alerts = self.client.get("/api/alerts", headers=self.admin.headers, params={"text": f"with {alert_key}"})
        return int(alerts.json()["items"][0]["id"])

    def after(self, minutes: float) -> list[Received]:
        """Move the clock, run everything that became due, and return what the devices got."""
        self.clock.advance(timedelta(minutes=minutes))
        self.worker.run_until_idle()
        return self.devices.take()

    def now(self) -> list[Received]:
        return self.after(0)

    def act(self, person: Person, alert_id: int, action: str) -> None:
        self.ok(self.client.put(f"/api/alerts/{alert_id}/{action}", headers=person.headers))

    def log(self, alert_id: int) -> list[str]:
        entries = self.ok(self.client.get(f"/api/alerts/{alert_id}/log", headers=self.admin.headers))
        return [e["message"] for e in entries]

    def ok(self, response: Any, status: int | None = None) -> Any:
        expected = status or (201 if response.request.method == "POST" else 200)
        assert response.status_code in (expected, 200, 201, 202), response.text
        return response.json()


