"""A real client: Debian's prometheus-alertmanager, configured only with tocsin's URLs, fed through its own
API v2, must open and then resolve alerts in tocsin, through the webhook receiver and the Opsgenie receiver.

Alertmanager is an external process: the test waits for its effects by polling with a deadline.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.conftest import Factory
from tests.live import free_port, serve
from tocsin.alerts.models import Alert, AlertSource
from tocsin.db import Database

BINARY = shutil.which("prometheus-alertmanager")
pytestmark = pytest.mark.skipif(BINARY is None, reason="prometheus-alertmanager is not installed "
                                                        "(make test-deps installs it where apt-get runs as root)")
DEADLINE_SECONDS = 15

CONFIG = """
route:
  receiver: tocsin-webhook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: tocsin-webhook
      continue: true
    - receiver: tocsin-opsgenie
receivers:
  - name: tocsin-webhook
    webhook_configs:
      - url: {tocsin}/api/integrations/{webhook_key}
        send_resolved: true
  - name: tocsin-opsgenie
    opsgenie_configs:
      - api_url: {tocsin}/
        api_key: {genie_key}
        message: '{{{{ .CommonAnnotations.summary }}}}'
        priority: P2
"""


def wait_for(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up after {DEADLINE_SECONDS} s waiting for {what}")


@pytest.fixture
def alertmanager(app: FastAPI, factory: Factory, tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    webhook, genie = factory.source(integration_type="PROMETHEUS"), factory.source(integration_type="OPSGENIE")
    port = free_port()
    with serve(app) as tocsin:
        config = tmp_path / "alertmanager.yml"
        config.write_text(CONFIG.format(tocsin=tocsin, webhook_key=webhook.key, genie_key=genie.key))
        assert BINARY is not None
        process = subprocess.Popen(
            [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for("Alertmanager to be ready", lambda: _ready(url, process))
            yield url, {"webhook": webhook.id, "opsgenie": genie.id}
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        errors = process.stderr.read().decode() if process.stderr else ""
        raise AssertionError(f"alertmanager exited with {process.returncode}: {errors}")
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def push(url: str, alert: dict[str, Any]) -> None:
    response = httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=5)
    assert response.status_code == 200, response.text


def states(db: Database, source_id: int) -> list[tuple[str, str, str]]:
    with db.session() as session:
        rows = session.execute(select(Alert.alert_key, Alert.summary, Alert.state)
                               .join(AlertSource).where(AlertSource.id == source_id).order_by(Alert.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_alertmanager_opens_and_resolves_alerts(alertmanager: tuple[str, dict[str, int]], db: Database) -> None:
    url, sources = alertmanager
    started = datetime.now(UTC)
    alert = {"labels": {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
             "annotations": {"summary": "Disk full on db-1"}, "startsAt": started.isoformat(),
             "generatorURL": "http://prometheus.example/graph"}
    push(url, alert)

    [(key, summary, state)] = wait_for("the webhook alert", lambda: states(db, sources["webhook"]))
    assert (summary, state) == ("Disk full on db-1", "PENDING")
    assert len(key) == 16 and int(key, 16) >= 0  # Alertmanager's fingerprint
    [(alias, message, _state)] = wait_for("the Opsgenie alert", lambda: states(db, sources["opsgenie"]))
    assert message == "Disk full on db-1"

    push(url, {**alert, "endsAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
    wait_for("the webhook alert to resolve", lambda: states(db, sources["webhook"])[0][2] == "RESOLVED")
    wait_for("the Opsgenie alert to close", lambda: states(db, sources["opsgenie"])[0][2] == "RESOLVED")
    assert states(db, sources["opsgenie"])[0][0] == alias
