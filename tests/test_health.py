"""Liveness and readiness: /healthz answers while the process runs; /readyz only on a migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from tocsin.app import create_app
from tocsin.settings import Settings


@contextmanager
def client_for(url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=url))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.tocsin.db.dispose()


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok"}


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with client_for(f"sqlite:///{path}") as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "migrations pending"}
        # the process itself is alive
        assert client.get("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # a directory where the database file should be: SQLite cannot open it
    (tmp_path / "db").mkdir()
    with client_for(f"sqlite:///{tmp_path / 'db'}") as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "unreachable"}
        assert client.get("/healthz").json() == {"status": "ok"}


def test_health_needs_no_authentication_and_leaks_nothing(client: TestClient) -> None:
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert "sqlite" not in response.text.lower() and "postgres" not in response.text.lower()
