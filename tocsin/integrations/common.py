"""Small helpers adapters share: reading loosely typed vendor JSON, links, labels and priorities."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tocsin.alerts.models import Priority, Severity
from tocsin.integrations.base import BadPayload

# Severity words monitoring tools use, and what they mean here.
HIGH_WORDS = frozenset({"critical", "crit", "high", "page", "fatal", "emergency", "alert", "disaster", "error", "p1",
                        "p2", "sev1", "sev2"})
LOW_WORDS = frozenset({"warning", "warn", "info", "information", "informational", "low", "minor", "notice", "debug",
                       "average", "p3", "p4", "p5", "sev3", "sev4"})
_SEVERITIES = {"critical": Severity.CRITICAL, "fatal": Severity.CRITICAL, "error": Severity.ERROR,
               "warning": Severity.WARNING, "warn": Severity.WARNING, "info": Severity.INFO}


def text(value: Any) -> str | None:
    """A scalar as text (numbers included), None for null, empty and non-scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float):
        return str(value)
    return None


def first_text(*values: Any) -> str | None:
    for value in values:
        found = text(value)
        if found is not None:
            return found
    return None


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else (vendors send null for empty maps)."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def required_object(data: Mapping[str, Any], name: str, vendor: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise BadPayload(f"not a {vendor} body: '{name}' must be an object", field=name)
    return value


def required_text(data: Mapping[str, Any], name: str, vendor: str, *, field: str | None = None) -> str:
    value = text(data.get(name))
    if value is None:
        raise BadPayload(f"not a {vendor} body: '{field or name}' is missing or empty", field=field or name)
    return value


def at_path(data: Any, path: str) -> Any:
    """The value at a dotted path ("build.scm.culprits.0"); None when any step is missing."""
    current = data
    for step in path.split("."):
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
    return current


def string_labels(value: Any) -> dict[str, str]:
    """A label map with text values; nested and null values are left out."""
    labels: dict[str, str] = {}
    for key, item in obj(value).items():
        found = text(item)
        if found is not None:
            labels[str(key)] = found
    return labels


def link(href: Any, label: str) -> dict[str, str] | None:
    url = text(href)
    return {"href": url, "text": label} if url and url.startswith(("http://", "https://")) else None


def links(*pairs: tuple[Any, str]) -> list[dict[str, str]]:
    return [found for href, label in pairs if (found := link(href, label)) is not None]


def priority_from_word(word: Any, *, unknown: Priority | None = Priority.LOW) -> Priority | None:
    """critical/high/page/error → HIGH, warning/info/low → LOW; None when absent, `unknown` for other words."""
    value = text(word)
    if value is None:
        return None
    value = value.strip().lower()
    if value in HIGH_WORDS:
        return Priority.HIGH
    if value in LOW_WORDS:
        return Priority.LOW
    return unknown


def severity_from_word(word: Any) -> Severity | None:
    value = text(word)
    return _SEVERITIES.get(value.strip().lower()) if value else None


def stable_hash(values: Mapping[str, Any] | Iterable[Any]) -> str:
    """A short hash that is the same for the same content whatever its order (for keys built from label sets)."""
    canonical = json.dumps(values if isinstance(values, Mapping) else list(values), sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
