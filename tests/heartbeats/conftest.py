from __future__ import annotations

import pytest

from tests.conftest import Actor, Factory
from tocsin.auth.models import Role


@pytest.fixture
def member(factory: Factory, team: int) -> Actor:
    """A USER of the team that owns the `source` fixture: may configure its heartbeats."""
    return factory.user(Role.USER, teams=(team,), name="Mia Member")
