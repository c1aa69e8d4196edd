"""A schedule for the web app's on-call, shift and coverage pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Actor, Factory
from tests.schedules.helpers import create_schedule, rotation
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock


@dataclass
class Rota:
    alice: Actor
    bob: Actor
    schedule: dict[str, Any]


@pytest.fixture
def rota(client: TestClient, factory: Factory, admin: Actor, team: int, clock: FrozenClock) -> Rota:
    """Alice and Bob take turns daily at 09:00 UTC, Alice from now (Monday 2 March, 09:00 UTC)."""
    alice = factory.user(Role.RESPONDER, teams=(team,), name="Alice", timezone="Europe/Berlin")
    bob = factory.user(Role.RESPONDER, teams=(team,), name="Bob", timezone="America/Chicago")
    schedule = create_schedule(client, admin, teams=[team], name="Platform primary",
                               layers=[rotation([alice, bob], clock.now(), name="Weekdays")])
    return Rota(alice, bob, schedule)


def on_call(client: TestClient, actor: Actor, schedule: dict[str, Any], at: str | None = None) -> str | None:
    """Who the API says is on call now (or at `at`)."""
    params = {"at": at} if at else {}
    answer = client.get(f"/api/schedules/{schedule['id']}/on-call", headers=actor.headers, params=params).json()
    return answer["user"]["name"] if answer["user"] else None
