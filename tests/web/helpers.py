"""Using the web app like a browser without one: log in through the form, read CSRF tokens from pages."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Actor

_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
HTMX = {"HX-Request": "true"}


def token(client: TestClient, path: str = "/profile") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = _TOKEN.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found[1]


def web_login(client: TestClient, actor: Actor) -> None:
    form = token(client, "/login")
    response = client.post("/login", data={"csrf_token": form, "email": actor.email, "password": actor.password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/alerts"


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False,
         page: str = "/profile") -> Any:
    """A form POST as the page would send it (token from `page`)."""
    headers = HTMX if htmx else {}
    return client.post(path, data={"csrf_token": token(client, page), **(data or {})}, headers=headers,
                       follow_redirects=False)
