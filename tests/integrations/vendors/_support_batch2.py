"""Fixture loading for the vendor adapter tests.

A vendor's folder under tests/integrations/fixtures holds request bodies (``<case>.json`` or ``<case>.txt``),
optional ``<case>.headers.json`` and ``<case>.query.txt``, and ``expected.json``:
``{"<body file>": {"test": bool, "events": [{eventType, alertKey, summary, priority}, ...]}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree

import pytest

from tocsin.alerts.events import Event
from tocsin.integrations import registry
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed, ParseFn

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_SIDE_FILES = (".headers.json", ".query.txt")


def expected(vendor: str) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((FIXTURES / vendor / "expected.json").read_text())
    return data


def body_files(vendor: str) -> list[str]:
    return sorted(p.name for p in (FIXTURES / vendor).iterdir()
                  if p.name != "expected.json" and not p.name.endswith(_SIDE_FILES))


def request_for(vendor: str, name: str, *, method: str = "POST") -> InboundRequest:
    folder = FIXTURES / vendor
    stem = name.rsplit(".", 1)[0]
    headers_file = folder / f"{stem}.headers.json"
    headers = json.loads(headers_file.read_text()) if headers_file.exists() else {}
    query_file = folder / f"{stem}.query.txt"
    query = dict(parse_qsl(query_file.read_text().strip(), keep_blank_values=True)) if query_file.exists() else {}
    return InboundRequest(body=(folder / name).read_bytes(), headers={k.lower(): v for k, v in headers.items()},
                          query=query, method=method)


def view(event: Event) -> dict[str, Any]:
    return {
        "eventType": event.event_type.value,
        "alertKey": event.alert_key,
        "summary": event.summary,
        "priority": event.priority.value if event.priority else None,
    }


def assert_case(vendor: str, name: str, parse: ParseFn, settings: Mapping[str, Any] | None = None) -> Parsed:
    """Parse one fixture and compare it with its expected.json entry; returns the result for further checks."""
    want = expected(vendor)[name]
    parsed = parse(request_for(vendor, name), settings or {})
    assert parsed.test is want["test"], name
    assert [view(e) for e in parsed.events] == want["events"], name
    for event in parsed.events:
        assert event.alert_key and len(event.alert_key.lower()) <= 255
        assert event.summary and len(event.summary) <= 1024
    return parsed


def assert_bad(parse: ParseFn, request: InboundRequest, *words: str, settings: Mapping[str, Any] | None = None) -> None:
    """The request is refused with BadPayload (400) whose message names every one of ``words``."""
    with pytest.raises(BadPayload) as caught:
        parse(request, settings or {})
    assert caught.value.status == 400
    for word in words:
        assert word.lower() in caught.value.detail.lower(), caught.value.detail


def json_request(body: Any, **headers: str) -> InboundRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return InboundRequest(body=raw, headers={"content-type": "application/json", **{k.lower(): v for k, v in
                                                                                   headers.items()}})


def load_json(vendor: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / vendor / name).read_text())
    return data


def assert_catalog_entry(integration: Integration, type_: str) -> None:
    """Registered under its type, with set-up steps that say where to paste the URL and a small, inert SVG logo."""
    assert registry.get(type_) is integration
    assert integration.name and integration.category
    assert any("{url}" in step for step in integration.setup_steps)
    if integration.logo_svg is not None:
        root = ElementTree.fromstring(integration.logo_svg)  # noqa: S314  (our own constant, not client input)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(integration.logo_svg) < 2000
        assert "script" not in integration.logo_svg.lower() and "href" not in integration.logo_svg.lower()


def assert_rejects_garbage(parse: ParseFn) -> None:
    """Bytes that are no text, and JSON nested past the limit, are refused with a message saying so."""
    headers = {"content-type": "application/json"}
    assert_bad(parse, InboundRequest(body=b'{"a": "\xff\xfe"}', headers=headers), "UTF-8")
    nested = ('{"a":' * 80 + "1" + "}" * 80).encode()
    assert_bad(parse, InboundRequest(body=nested, headers=headers), "nested")
