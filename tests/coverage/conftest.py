"""Coverage tests run with real SMTP (aiosmtpd) and a real local Web Push service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory
from tests.notifications.conftest import SmtpHandler, push_service, smtp_port, smtp_server
from tests.notifications.push_service import Browser, PushService
from tests.schedules.helpers import create_schedule, rotation
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.settings import Settings

__all__ = ["push_service", "smtp_port", "smtp_server"]


@pytest.fixture
def settings(db: Database, smtp_port: int, smtp_server: SmtpHandler) -> Settings:
    # The local push service speaks plain http on 127.0.0.1: both have to be allowed here.
    return Settings(database_url=db.url, base_url="http://testserver", push_allow_http=True,
                    allow_private_webhooks=True, smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                    smtp_from="tocsin <pager@tocsin.example>", smtp_timeout_seconds=5)


@dataclass
class Crew:
    """Alice and Bob share a daily rotation (09:00 UTC handoff, Alice from Monday 2 March); Cy is spare."""

    alice: Actor
    bob: Actor
    cy: Actor
    team: int
    schedule: dict[str, Any]


@pytest.fixture
def crew(client: TestClient, factory: Factory, admin: Actor, team: int, clock: FrozenClock) -> Crew:
    alice = factory.user(Role.RESPONDER, teams=(team,), name="Alice", timezone="Europe/Berlin")
    bob = factory.user(Role.RESPONDER, teams=(team,), name="Bob", timezone="America/Chicago")
    cy = factory.user(Role.RESPONDER, teams=(team,), name="Cy")
    schedule = create_schedule(client, admin, teams=[team], layers=[rotation([alice, bob], clock.now())])
    return Crew(alice, bob, cy, team, schedule)


def subscribe(client: TestClient, actor: Actor, service: PushService) -> Browser:
    key = client.get("/api/push/vapid-public-key", headers=actor.headers).json()["applicationServerKey"]
    browser = service.browser(key)
    response = client.post("/api/users/me/push-subscriptions", headers=actor.headers, json=browser.subscription())
    assert response.status_code == 201, response.text
    return browser
