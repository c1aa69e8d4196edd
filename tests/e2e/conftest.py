"""Browser tests: Debian's chromium (found on PATH) driven by Playwright against a live uvicorn server.

One browser per test module; each test gets a fresh database, app, server and browser context with a
phone's viewport. The app runs on the frozen test clock; the engine runs when a test says so
(`worker.run_until_idle()`), as in every other test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Actor, Factory
from tests.live import serve
from tests.notifications.push_service import PushService
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.settings import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HERE = Path(__file__).parent
SCREENSHOTS = HERE / "screenshots"
AXE = HERE / "vendor" / "axe.min.js"
PHONE = {"width": 375, "height": 812}

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (run `make browser` as root to "
                                                          "install Debian's chromium package)")


# Not session-wide: Playwright's sync API keeps an asyncio loop running in the main thread while it is
# open, and tests elsewhere that start their own loop (anyio.run) would then fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (run `make browser` as root to install Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def settings(db: Database) -> Settings:
    # The stand-in push service speaks plain http on 127.0.0.1.
    return Settings(database_url=db.url, base_url="http://127.0.0.1", push_allow_http=True,
                    allow_private_webhooks=True)


@pytest.fixture
def live_app(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def push_service(clock: FrozenClock) -> Iterator[PushService]:
    service = PushService(clock)
    with serve(service.app()) as url:
        service.url = url
        yield service


@dataclass
class Team:
    id: int
    responder: Actor
    admin: Actor


@pytest.fixture
def crew(factory: Factory) -> Team:
    team = factory.team("Platform")
    return Team(team, factory.user(Role.USER, teams=(team,), name="Rita Responder", timezone="Europe/Berlin"),
                factory.user(Role.ADMIN, name="Ada Admin"))


class Api:
    """The REST API of the live server, as a script or a monitoring tool would call it."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=10)

    def call(self, method: str, path: str, actor: Actor | None = None, **kwargs: Any) -> Any:
        headers = actor.headers if actor else {}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def event(self, key: str, **body: Any) -> Any:
        return self.call("POST", f"/api/events/{key}", json={"eventType": "ALERT", **body})


@pytest.fixture
def api(live_app: str) -> Iterator[Api]:
    client = Api(live_app)
    yield client
    client.client.close()


class Phone:
    """A browser context shaped like a phone, with helpers the tests share."""

    def __init__(self, context: Any, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.csp_errors: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_errors.append(message.text)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def login(self, actor: Actor) -> None:
        self.goto("/login")
        self.page.get_by_label("Email").fill(actor.email)
        self.page.get_by_label("Password").fill(actor.password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(f"{self.base_url}/alerts")

    def screenshot(self, name: str, *, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def axe_violations(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations on the current page."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) does not apply.
            self.page.evaluate(AXE.read_text())
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]

    def check_accessible(self, name: str) -> None:
        violations = self.axe_violations()
        assert violations == [], f"{name}: {json.dumps(violations, indent=2)}"


@pytest.fixture
def phone(browser: Any, live_app: str) -> Iterator[Phone]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="en-GB", timezone_id="Europe/Berlin")
    context.set_default_timeout(10_000)
    handset = Phone(context, live_app)
    yield handset
    context.close()
    assert handset.csp_errors == [], handset.csp_errors
