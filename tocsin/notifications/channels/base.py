"""What every channel module implements: turn one outbound message into one provider request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tocsin.notifications.models import Channel, MessageKind


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: int
    channel: Channel
    kind: MessageKind
    address: str
    subject: str
    text: str
    idempotency_key: str
    recipient_name: str
    contact_data: dict[str, Any] = field(default_factory=dict)
    alert: dict[str, Any] | None = None  # id, summary, priority, state, url, and signed action links
    # For messages not about an alert: "url" to open, "links" [[label, url]], "push" fields, "footer".
    extra: dict[str, Any] = field(default_factory=dict)


class PermanentFailure(Exception):
    """Retrying will not help (bad address, subscription gone, channel not configured)."""


class Sender(Protocol):
    channel: Channel

    def send(self, message: OutboundMessage) -> str:
        """Deliver the message; return the provider's answer (id or status) to record.

        Raise PermanentFailure when a retry cannot succeed; any other exception is retried.
        """
        ...
