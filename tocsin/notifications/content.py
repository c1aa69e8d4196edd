"""The words of a message about an alert, shared by every channel."""

from __future__ import annotations

from typing import Any

from tocsin.alerts.models import Alert
from tocsin.notifications.models import MessageKind


def alert_summary(alert: Alert, base_url: str) -> dict[str, Any]:
    return {
        "id": alert.id,
        "summary": alert.summary,
        "priority": alert.priority,
        "state": alert.state,
        "source": alert.source.name,
        "url": f"{base_url}/alerts/{alert.id}",
    }


def render(kind: MessageKind, alert: Alert | None, *, detail: str = "") -> tuple[str, str]:
    """(subject, text) for a message."""
    if kind is MessageKind.TEST:
        return "tocsin test notification", "This is a test notification from tocsin. It works."
    if kind is MessageKind.BUNDLE:
        return "tocsin: more alerts", detail
    if kind is MessageKind.REMINDER:
        return "tocsin: on-call reminder", detail
    assert alert is not None
    if kind is MessageKind.UPDATE:
        return (f"[{alert.state}] #{alert.id} {alert.summary}",
                f"Alert #{alert.id} is now {alert.state.lower()}: {alert.summary}")
    text = f"{alert.priority} alert #{alert.id} from {alert.source.name}: {alert.summary}"
    if alert.details:
        text += f"\n\n{alert.details[:1000]}"
    return f"[{alert.priority}] #{alert.id} {alert.summary}", text
