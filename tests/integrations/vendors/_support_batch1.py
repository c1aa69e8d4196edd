"""Loading vendor fixtures (tests/integrations/fixtures/<vendor>/) and running an adapter over them.

A vendor folder holds one body per case (``<case>.json``, or ``<case>.txt`` for form-encoded bodies), optional
``<case>.headers.json``, and ``expected.json``: ``{"<case file>": {"test": bool, "events": [{eventType, alertKey,
summary, priority}, ...]}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tocsin.alerts.events import Event
from tocsin.integrations import registry
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class Case:
    vendor: str
    file: str
    test: bool
    events: list[dict[str, Any]]

    def request(self) -> InboundRequest:
        return fixture_request(self.vendor, self.file)


def fixture_request(vendor: str, file: str) -> InboundRequest:
    folder = FIXTURES / vendor
    body = (folder / file).read_bytes()
    headers_file = folder / f"{Path(file).stem}.headers.json"
    headers: dict[str, str] = {}
    if headers_file.exists():
        headers = {k.lower(): v for k, v in json.loads(headers_file.read_text()).items()}
    elif file.endswith(".json"):
        headers = {"content-type": "application/json"}
    return InboundRequest(body=body, headers=headers)


def fixture_json(vendor: str, file: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / vendor / file).read_text())
    assert isinstance(data, dict)
    return data


def cases(vendor: str) -> list[Any]:
    """pytest params, one per fixture body named in expected.json (each body file must be named there)."""
    expected = fixture_json(vendor, "expected.json")
    bodies = {p.name for p in (FIXTURES / vendor).iterdir()
              if p.suffix in (".json", ".txt") and p.name != "expected.json" and not p.name.endswith(".headers.json")}
    assert bodies == set(expected), f"fixtures without expectations or the reverse: {bodies ^ set(expected)}"
    return [pytest.param(Case(vendor, name, bool(spec["test"]), list(spec["events"])), id=name)
            for name, spec in sorted(expected.items())]


def json_request(body: Any) -> InboundRequest:
    return InboundRequest(body=json.dumps(body).encode(), headers={"content-type": "application/json"})


def form_request(body: str) -> InboundRequest:
    return InboundRequest(body=body.encode(), headers={"content-type": "application/x-www-form-urlencoded"})


def summary_of(event: Event) -> dict[str, Any]:
    return {
        "eventType": event.event_type.value,
        "alertKey": event.alert_key,
        "summary": event.summary,
        "priority": event.priority.value if event.priority else None,
    }


def check_case(integration: Integration, case: Case) -> Parsed:
    """Parse the case's body and compare with its expectation; every event carries the integration's origin."""
    parsed = integration.parse(case.request(), {})
    assert parsed.test is case.test
    assert [summary_of(e) for e in parsed.events] == case.events
    for event in parsed.events:
        assert event.origin == integration.type.lower()
        assert event.alert_key and len(event.alert_key) <= 255
    return parsed


def bad_payload(integration: Integration, request: InboundRequest, *, status: int = 400) -> BadPayload:
    with pytest.raises(BadPayload) as caught:
        integration.parse(request, {})
    assert caught.value.status == status
    return caught.value


def check_catalog_entry(integration: Integration) -> None:
    """Registered under its type, with setup steps that place the URL and a small inline monochrome logo."""
    assert registry.get(integration.type) is integration
    assert integration.setup_steps and any("{url}" in step for step in integration.setup_steps)
    assert integration.validate_settings({}) == {}
    logo = integration.logo_svg
    assert logo is not None and logo.startswith("<svg") and logo.endswith("</svg>") and len(logo) < 1000
    assert "currentColor" in logo and "<script" not in logo
