"""Vendor fixtures (tests/integrations/fixtures/<vendor>/) as requests, and the events they should give."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from tocsin.alerts.events import Event
from tocsin.alerts.models import Priority
from tocsin.alerts.priority import SEVERITY_PRIORITY
from tocsin.integrations.base import FetchError, InboundRequest

FIXTURES = Path(__file__).parent / "fixtures"
SNS_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
SENTRY_SECRET = "d2f1a6c8e0b34c79a5e1f08b7c6d4e3a9b2c1d0e8f7a6b5c4d3e2f1a0b9c8d7e"
GRAFANA_SECRET = "tocsin-test-secret"


@dataclass(frozen=True)
class Case:
    vendor: str
    name: str
    body: bytes
    headers: dict[str, str]
    query: str
    expected: list[dict[str, Any]]

    def request(self, fetcher: Any = None) -> InboundRequest:
        extra = {"fetcher": fetcher} if fetcher is not None else {}
        return InboundRequest(body=self.body, headers={k.lower(): v for k, v in self.headers.items()},
                              query=dict(parse_qsl(self.query)), raw_query=self.query, **extra)

    @property
    def id(self) -> str:
        return f"{self.vendor}/{self.name}"


def cases(vendor: str) -> list[Case]:
    folder = FIXTURES / vendor
    expected: dict[str, list[dict[str, Any]]] = json.loads((folder / "expected.json").read_text())
    found = []
    for name, events in expected.items():
        stem = name.rsplit(".", 1)[0]
        headers_file, query_file = folder / f"{stem}.headers.json", folder / f"{stem}.query.txt"
        headers = json.loads(headers_file.read_text()) if headers_file.exists() else {}
        query = query_file.read_text().strip() if query_file.exists() else ""
        found.append(Case(vendor, name, (folder / name).read_bytes(), headers, query, events))
    return found


def case(vendor: str, name: str) -> Case:
    return next(c for c in cases(vendor) if c.name == name)


def effective_priority(event: Event) -> str:
    """The priority the alert gets under the default rule (HIGH) when the event leaves it open."""
    if event.priority is not None:
        return event.priority.value
    if event.severity is not None:
        return SEVERITY_PRIORITY[event.severity].value
    return Priority.HIGH.value


def as_expected(event: Event) -> dict[str, Any]:
    return {"eventType": event.event_type.value, "alertKey": event.alert_key, "summary": event.summary,
            "priority": effective_priority(event)}


def generic_mapping(case_name: str) -> dict[str, Any]:
    mappings: dict[str, dict[str, Any]] = json.loads((FIXTURES / "generic-json" / "mapping.json").read_text())
    prefix = {"github": "github-actions", "jenkins": "jenkins-notification", "gatus": "gatus",
              "homeassistant": "home-assistant"}[case_name.split("_")[0]]
    return mappings[prefix]


@dataclass
class FixtureFetcher:
    """Stands in for AWS: answers the fixtures' certificate URL and records every GET."""

    pages: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    @classmethod
    def for_sns(cls) -> FixtureFetcher:
        return cls({SNS_CERT_URL: (FIXTURES / "aws-cloudwatch" / "signing_cert.pem").read_bytes()})

    def get(self, url: str, *, cache: bool = False) -> bytes:
        self.fetched.append(url)
        if url.startswith("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"):
            return b"<ConfirmSubscriptionResponse/>"
        if url not in self.pages:
            raise FetchError("GET answered 404")
        return self.pages[url]
