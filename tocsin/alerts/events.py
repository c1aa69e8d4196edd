"""The one event shape every wire format (ilert, PagerDuty, vendor adapters) is turned into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic.alias_generators import to_camel

from tocsin.alerts.models import EventType, Priority, Severity

MAX_KEY_LENGTH = 255
MAX_SUMMARY_LENGTH = 1024


@dataclass(frozen=True)
class Comment:
    content: str
    creator: str | None = None


@dataclass(frozen=True)
class Event:
    event_type: EventType
    alert_key: str | None = None
    summary: str | None = None
    details: str | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    custom_details: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    # Where it came from ("ilert", "pagerduty", a vendor adapter's name) and the client it names.
    origin: str = "ilert"
    client: str | None = None
    client_url: str | None = None

    def record(self) -> dict[str, Any]:
        """The event as stored in inbound_events.body and shown in the alert log."""
        data = asdict(self)
        data["event_type"] = self.event_type.value
        data["priority"] = self.priority.value if self.priority else None
        data["severity"] = self.severity.value if self.severity else None
        return {to_camel(k): v for k, v in data.items() if v not in (None, [], {})}
