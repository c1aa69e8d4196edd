"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when TOCSIN_TEST_DATABASE_URL is set),
a frozen clock, the app with a TestClient, a worker, and factories for users, teams and sources."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from tocsin.alerts.sources import create_source
from tocsin.app import create_app
from tocsin.auth import security
from tocsin.auth import service as auth
from tocsin.auth.models import Role, TeamRole, User
from tocsin.clock import FrozenClock
from tocsin.db import Base, Database
from tocsin.engine.worker import Worker
from tocsin.migrations import upgrade
from tocsin.models import Base as _all_models  # noqa: F401  (registers every table)
from tocsin.settings import Settings

PG_URL = os.environ.get("TOCSIN_TEST_DATABASE_URL")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    # Production parameters cost ~0.5 s per hash on a busy CI box and every factory user pays one;
    # these are still argon2id hashes, only cheaper (tests/auth checks the production parameters).
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "_DUMMY_HASH", cheap.hash("unknown-user"))


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per session: PostgreSQL in place, SQLite into a template file copied per test."""
    if PG_URL:
        upgrade(PG_URL)
        yield PG_URL
        return
    template = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{template}")
    yield str(template)


@pytest.fixture(scope="session")
def _pg_database(_migrated: str) -> Iterator[Database | None]:
    if not PG_URL:
        yield None
        return
    database = Database(PG_URL)
    yield database
    database.dispose()


@pytest.fixture
def db(_migrated: str, _pg_database: Database | None, tmp_path: Path) -> Iterator[Database]:
    if _pg_database is not None:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with _pg_database.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield _pg_database
        return
    path = tmp_path / "test.db"
    shutil.copyfile(_migrated, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(database_url=db.url, base_url="http://testserver")


@pytest.fixture
def app(settings: Settings, db: Database, clock: FrozenClock) -> FastAPI:
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def worker(app: FastAPI, db: Database, clock: FrozenClock) -> Worker:
    return Worker(db, clock, app.state.tocsin.registry, worker_id="test-worker")


@dataclass
class Actor:
    id: int
    email: str
    name: str
    key: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Source:
    id: int
    key: str


class Factory:
    """Creates objects straight through the service layer (fast, no HTTP)."""

    def __init__(self, db: Database, clock: FrozenClock) -> None:
        self.db = db
        self.clock = clock
        self._n = 0

    def user(
        self, role: Role = Role.RESPONDER, *, teams: tuple[int, ...] = (), name: str | None = None,
        team_admin: bool = False, timezone: str = "UTC",
    ) -> Actor:
        self._n += 1
        name = name or f"{role.value.title()} {self._n}"
        email = f"user{self._n}@example.com"
        password = f"password-{self._n}"
        with self.db.session(write=True) as session:
            user = auth.create_user(session, self.clock, email=email, name=name, role=role, password=password,
                                    timezone=timezone)
            for team_id in teams:
                team = auth.get_team(session, team_id)
                members = [(m.user_id, TeamRole(m.role)) for m in team.members]
                members.append((user.id, TeamRole.ADMIN if team_admin else TeamRole.MEMBER))
                auth.set_team_members(session, team, members)
            _key, token = auth.create_api_key(session, self.clock, user, "test")
            user_id = user.id
        return Actor(id=user_id, email=email, name=name, key=token, password=password)

    def team(self, name: str | None = None) -> int:
        self._n += 1
        with self.db.session(write=True) as session:
            return auth.create_team(session, self.clock, name or f"Team {self._n}", []).id

    def source(self, *, teams: tuple[int, ...] = (), **changes: Any) -> Source:
        with self.db.session(write=True) as session:
            admin = session.get(User, self._admin_id(session))
            assert admin is not None
            source, key = create_source(session, self.clock, admin, {"name": "Source", "team_ids": list(teams),
                                                                    **changes})
            return Source(id=source.id, key=key)

    def _admin_id(self, session: Any) -> int:
        from sqlalchemy import select

        existing = session.scalar(select(User.id).where(User.role == Role.ADMIN.value).limit(1))
        if existing is not None:
            return int(existing)
        self._n += 1
        return auth.create_user(session, self.clock, email=f"root{self._n}@example.com", name="Root",
                                role=Role.ADMIN).id


@pytest.fixture
def factory(db: Database, clock: FrozenClock) -> Factory:
    return Factory(db, clock)


@pytest.fixture
def team(factory: Factory) -> int:
    return factory.team("Operations")


@pytest.fixture
def admin(factory: Factory) -> Actor:
    return factory.user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def responder(factory: Factory, team: int) -> Actor:
    return factory.user(Role.RESPONDER, teams=(team,), name="Rita Responder")


@pytest.fixture
def source(factory: Factory, team: int) -> Source:
    return factory.source(teams=(team,))


@pytest.fixture
def outsider(factory: Factory) -> Actor:
    """A user of another team: must never see or touch the fixtures' team objects."""
    other = factory.team("Elsewhere")
    return factory.user(Role.USER, teams=(other,), name="Otto Outsider")
