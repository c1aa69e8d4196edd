"""The command line, run in-process against a migrated SQLite file: create-admin, create-api-key, demo, migrate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tocsin import cli
from tocsin.alerts.models import AlertSource
from tocsin.app import create_app
from tocsin.auth import security
from tocsin.auth.models import ApiKey, Team, User
from tocsin.db import Database
from tocsin.demo import DEMO_USERS
from tocsin.migrations import upgrade
from tocsin.settings import Settings


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    monkeypatch.setenv("TOCSIN_BASE_URL", "https://tocsin.example")
    return url


@contextmanager
def api(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.tocsin.db.dispose()


@contextmanager
def database(url: str) -> Iterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


def users(url: str) -> list[User]:
    with database(url) as db, db.session() as session:
        found = list(session.scalars(select(User).order_by(User.id)))
        for user in found:
            session.expunge(user)
        return found


def count(url: str, model: type[object]) -> int:
    with database(url) as db, db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def create_admin(capsys: pytest.CaptureFixture[str], email: str = "root@example.com", name: str = "Root",
                 password: str = "first-password") -> tuple[int, str, str]:  # noqa: S107
    return run(capsys, "create-admin", "--email", email, "--name", name, "--password", password)


def login(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


# --- create-admin ---------------------------------------------------------------------------


def test_create_admin_creates_an_admin_who_can_log_in(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    code, out, err = create_admin(capsys)
    assert code == 0
    assert out == ""
    assert "root@example.com" in err
    [user] = users(database_url)
    assert (user.email, user.name, user.role) == ("root@example.com", "Root", "ADMIN")
    assert user.password_hash is not None and user.password_hash.startswith("$argon2")
    assert "first-password" not in user.password_hash
    with api(database_url) as client:
        assert login(client, "root@example.com", "first-password") == 200


def test_create_admin_is_idempotent_and_updates_the_password(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    assert create_admin(capsys)[0] == 0
    [first] = users(database_url)
    code, _out, _err = create_admin(capsys, email="ROOT@example.com", name="Root Two", password="second-password")
    assert code == 0
    [again] = users(database_url)
    assert again.id == first.id
    assert (again.email, again.name, again.role) == ("root@example.com", "Root Two", "ADMIN")
    assert again.password_hash != first.password_hash
    with api(database_url) as client:
        assert login(client, "root@example.com", "first-password") == 401
        assert login(client, "root@example.com", "second-password") == 200


def test_create_admin_promotes_an_existing_user(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    assert create_admin(capsys)[0] == 0
    with api(database_url) as client:
        client.post("/api/auth/login", json={"email": "root@example.com", "password": "first-password"})
        response = client.post("/api/users", json={"email": "ann@example.com", "name": "Ann", "role": "STAKEHOLDER"})
        assert response.status_code == 201, response.text
    assert create_admin(capsys, email="ann@example.com", name="Ann", password="ann-password")[0] == 0
    assert {(u.email, u.role) for u in users(database_url)} == {("root@example.com", "ADMIN"),
                                                                ("ann@example.com", "ADMIN")}


def test_create_admin_refuses_a_short_password(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    code, out, err = create_admin(capsys, password="short")
    assert code == 2
    assert out == "" and "8 characters" in err
    assert users(database_url) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("--email", "not-an-email"), ("--name", ""), ("--name", "   "), ("--password", "x" * 2000)],
)
def test_create_admin_validates_like_the_api(
    capsys: pytest.CaptureFixture[str], database_url: str, option: str, value: str
) -> None:
    given = {"--email": "root@example.com", "--name": "Root", "--password": "first-password", option: value}
    code, out, err = run(capsys, "create-admin", *[part for pair in given.items() for part in pair])
    assert code == 2
    assert out == "" and f"error: {option}:" in err
    assert users(database_url) == []


def test_create_admin_requires_its_options(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["create-admin", "--email", "root@example.com"])
    assert exited.value.code == 2
    assert "--name" in capsys.readouterr().err
    assert users(database_url) == []


# --- create-api-key -------------------------------------------------------------------------


def test_create_api_key_prints_only_the_key_and_it_works(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    assert create_admin(capsys)[0] == 0
    code, out, _err = run(capsys, "create-api-key", "--email", "Root@Example.com")
    assert code == 0
    key = out.strip()
    assert out == key + "\n"
    assert re.fullmatch(r"tcs_[A-Za-z0-9_-]{40,}", key)
    with api(database_url) as client:
        response = client.get("/api/users/me", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        assert response.json()["email"] == "root@example.com"
        [listed] = client.get("/api/api-keys", headers={"Authorization": f"Bearer {key}"}).json()
    assert listed["name"] == "CLI key"
    assert "key" not in listed
    with database(database_url) as db, db.session() as session:
        [row] = session.scalars(select(ApiKey))
        assert row.digest == security.digest(key) != key


def test_create_api_key_takes_a_name_and_makes_a_new_key_each_time(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    assert create_admin(capsys)[0] == 0
    first = run(capsys, "create-api-key", "--email", "root@example.com", "--name", "deploy bot")[1].strip()
    second = run(capsys, "create-api-key", "--email", "root@example.com")[1].strip()
    assert first != second
    with api(database_url) as client:
        names = {k["name"] for k in client.get("/api/api-keys", headers={"Authorization": f"Bearer {first}"}).json()}
    assert names == {"deploy bot", "CLI key"}


def test_create_api_key_for_an_unknown_email_fails(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    code, out, err = run(capsys, "create-api-key", "--email", "nobody@example.com")
    assert code == 1
    assert out == ""
    assert "nobody@example.com" in err
    assert count(database_url, ApiKey) == 0


# --- demo -----------------------------------------------------------------------------------


def test_demo_loads_once_and_prints_logins_and_an_integration_key(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, out, _err = run(capsys, "demo")
    assert code == 0
    for demo_user in DEMO_USERS:
        assert demo_user.email in out and demo_user.password in out
    match = re.search(r"integration key: ([0-9a-f]{32})\b", out)
    assert match is not None, out
    integration_key = match.group(1)
    assert "https://tocsin.example/api/events" in out
    assert {u.email for u in users(database_url)} == {u.email for u in DEMO_USERS}
    assert (count(database_url, Team), count(database_url, AlertSource)) == (2, 1)

    with api(database_url) as client:
        for demo_user in DEMO_USERS:
            assert login(client, demo_user.email, demo_user.password) == 200
        response = client.post("/api/events", json={"integrationKey": integration_key, "eventType": "ALERT",
                                                    "summary": "Disk full on db-1"})
        assert response.status_code == 202, response.text
        assert login(client, DEMO_USERS[0].email, DEMO_USERS[0].password) == 200
        on_call = client.get("/api/on-call").json()
        assert [(s["schedule"]["name"], s["user"]["name"] if s["user"] else None)
                for s in on_call["schedules"]] == [("Platform primary", "Alice Responder")]

    code, again, _err = run(capsys, "demo")
    assert code == 0
    assert "already loaded" in again
    assert integration_key not in again
    assert all(u.email in again for u in DEMO_USERS)
    assert len(users(database_url)) == len(DEMO_USERS)
    assert (count(database_url, Team), count(database_url, AlertSource)) == (2, 1)


def test_demo_roles_and_time_zones(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    assert run(capsys, "demo")[0] == 0
    found = {u.email: (u.role, u.timezone) for u in users(database_url)}
    assert found == {u.email: (u.role.value, u.timezone) for u in DEMO_USERS}
    assert any(role == "ADMIN" for role, _zone in found.values())


# --- migrate --------------------------------------------------------------------------------


def test_migrate_brings_a_new_database_up_to_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'new.db'}"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    with api(url) as client:
        assert client.get("/readyz").status_code == 503
    code, out, err = run(capsys, "migrate")
    assert code == 0 and out == "" and "latest migration" in err
    assert run(capsys, "migrate")[0] == 0  # twice is fine
    with api(url) as client:
        assert client.get("/readyz").status_code == 200


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["frobnicate"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
