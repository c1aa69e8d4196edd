from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Factory
from tests.scenarios.harness import Devices, Scenario
from tocsin.app import create_app
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.worker import Worker
from tocsin.notifications.models import Channel
from tocsin.settings import Settings


@pytest.fixture
def devices() -> Devices:
    return Devices()


@pytest.fixture
def app(settings: Settings, db: Database, clock: FrozenClock, devices: Devices) -> FastAPI:
    senders = {channel: devices.sender(channel) for channel in Channel}
    return create_app(settings, db=db, clock=clock, senders=senders)


@pytest.fixture
def scenario(client: TestClient, factory: Factory, clock: FrozenClock, worker: Worker, devices: Devices) -> Iterator[
        Scenario]:
    yield Scenario(client, factory, clock, worker, devices)
