"""What every adapter needs to read loosely typed vendor bodies and to build events within the event limits:
texts and ids, required fields, keys that fit the key column, summaries, details, links, labels, priorities."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tocsin.alerts.events import MAX_KEY_LENGTH, MAX_SUMMARY_LENGTH, Comment
from tocsin.alerts.models import Priority, Severity
from tocsin.errors import Problem
from tocsin.integrations.base import BadPayload

MAX_LINK_LENGTH = 2048
MAX_LABELS = 100
MAX_LABEL_LENGTH = 255
MAX_DETAILS_LENGTH = 100_000
# A key too long for the key column keeps this many characters of its start, then "~" and a digest of the whole.
KEY_HEAD_LENGTH = 200

# Severity words monitoring tools use, and what they mean here.
HIGH_WORDS = frozenset({"critical", "crit", "high", "page", "fatal", "emergency", "alert", "disaster", "error", "p1",
                        "p2", "sev1", "sev2"})
LOW_WORDS = frozenset({"warning", "warn", "info", "information", "informational", "low", "minor", "notice", "debug",
                       "average", "p3", "p4", "p5", "sev3", "sev4"})
_SEVERITIES = {"critical": Severity.CRITICAL, "fatal": Severity.CRITICAL, "error": Severity.ERROR,
               "warning": Severity.WARNING, "warn": Severity.WARNING, "info": Severity.INFO}


# --- reading values ----------------------------------------------------------------------------


def text(value: Any) -> str | None:
    """A scalar as stripped text (numbers and booleans included); None for null, blanks and non-scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def first_text(*values: Any) -> str | None:
    for value in values:
        found = text(value)
        if found is not None:
            return found
    return None


def ident(value: Any) -> str | None:
    """An id as text: a whole number or non-blank text; None for anything else (booleans and fractions too)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return text(value)


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else (vendors send null for empty maps)."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def texts(value: Any) -> list[str]:
    """The texts of a JSON list (others left out); a lone text as a one-item list."""
    items = value if isinstance(value, list) else [value]
    return [found for item in items if (found := text(item)) is not None]


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


def required_text(data: Mapping[str, Any], name: str, vendor: str, *, field: str | None = None) -> str:
    found = text(data.get(name))
    if found is None:
        where = field or name
        raise BadPayload(f"not a {vendor} body: '{where}' is missing or empty", field=where)
    return found


def required_object(data: Mapping[str, Any], name: str, vendor: str, *, field: str | None = None) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        where = field or name
        raise BadPayload(f"not a {vendor} body: '{where}' must be an object", field=where)
    return value


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries that carry something (None, '' and empty containers left out)."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


# --- keys --------------------------------------------------------------------------------------


def fit_key(key: str) -> str:
    """The key, stripped; one too long for the key column (255, also once lower-cased) keeps its start, "~" and
    a digest of the whole, so the same long key always gives the same stored key."""
    stripped = key.strip()
    if len(stripped) <= MAX_KEY_LENGTH and len(stripped.lower()) <= MAX_KEY_LENGTH:
        return stripped
    head = stripped[:KEY_HEAD_LENGTH]
    while len(head.lower()) > KEY_HEAD_LENGTH:  # a few characters grow when lower-cased
        head = head[:-1]
    return f"{head}~{hashlib.sha256(stripped.encode()).hexdigest()[:32]}"


def alert_key(*parts: str) -> str:
    """The parts joined by ':', fitted to the key column."""
    return fit_key(":".join(parts))


def stable_hash(values: Mapping[str, Any] | Iterable[Any]) -> str:
    """A short hash that is the same for the same content whatever its order (for keys built from label sets)."""
    canonical = json.dumps(values if isinstance(values, Mapping) else list(values), sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- texts of the event --------------------------------------------------------------------------


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def summary(value: str) -> str:
    return clip(" ".join(value.split()), MAX_SUMMARY_LENGTH)


def details(*parts: str | None) -> str | None:
    """The non-empty parts as paragraphs, or None."""
    found = [part.strip() for part in parts if part and part.strip()]
    return clip("\n\n".join(found), MAX_DETAILS_LENGTH) if found else None


def comment(content: str | None, creator: str | None) -> list[Comment]:
    return [Comment(content=clip(content, 10_000), creator=creator)] if content else []


# --- links and labels --------------------------------------------------------------------------


def link(href: Any, label: str) -> dict[str, str] | None:
    url = text(href)
    if url is None or len(url) > MAX_LINK_LENGTH or not url.lower().startswith(("http://", "https://")):
        return None
    return {"href": url, "text": label}


def links(*pairs: tuple[Any, str]) -> list[dict[str, str]]:
    """The http(s) links among (href, label) pairs, each address once."""
    found: list[dict[str, str]] = []
    for href, label in pairs:
        item = link(href, label)
        if item is not None and all(item["href"] != seen["href"] for seen in found):
            found.append(item)
    return found


def labels(pairs: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Text label pairs (later ones win), bounded in number and length; empty names and values left out."""
    found: dict[str, str] = {}
    for name, value in pairs:
        key, val = text(name), text(value)
        if key is None or val is None:
            continue
        if key not in found and len(found) >= MAX_LABELS:
            continue
        found[clip(key, MAX_LABEL_LENGTH)] = clip(val, MAX_LABEL_LENGTH)
    return found


def string_labels(value: Any) -> dict[str, str]:
    """The text values of a JSON object by name, not shortened (Alertmanager annotations); others left out."""
    return {str(key): found for key, item in obj(value).items() if (found := text(item)) is not None}


def tag_pairs(tags: Iterable[str]) -> list[tuple[str, str]]:
    """'name:value' tags as label pairs; tags without a value are left out."""
    pairs: list[tuple[str, str]] = []
    for tag in tags:
        name, sep, value = tag.partition(":")
        if sep and name.strip() and value.strip():
            pairs.append((name.strip(), value.strip()))
    return pairs


def split_tags(value: Any, separator: str = ",") -> list[str]:
    found = text(value)
    if found is None:
        return []
    parts = found.split() if separator == " " else found.split(separator)
    return [part.strip() for part in parts if part.strip()]


# --- priorities --------------------------------------------------------------------------------


def priority_from_word(word: Any, *, unknown: Priority | None = Priority.LOW) -> Priority | None:
    """critical/high/page/error → HIGH, warning/info/low → LOW; None when absent, `unknown` for other words."""
    value = text(word)
    if value is None:
        return None
    value = value.lower()
    if value in HIGH_WORDS:
        return Priority.HIGH
    if value in LOW_WORDS:
        return Priority.LOW
    return unknown


def severity_from_word(word: Any) -> Severity | None:
    value = text(word)
    return _SEVERITIES.get(value.lower()) if value else None


# --- settings ----------------------------------------------------------------------------------


def base_url_setting(settings: Mapping[str, Any], vendor: str, example: str) -> dict[str, Any]:
    """integrationSettings of tools whose only setting is an optional ``baseUrl``, their web address for links."""
    unknown = set(settings) - {"baseUrl"}
    if unknown:
        raise Problem(400, f"unknown {vendor} setting(s) {sorted(unknown)}; the only one is 'baseUrl'",
                      field="integrationSettings")
    base = settings.get("baseUrl")
    if base is None:
        return {}
    if not isinstance(base, str) or not base.startswith(("http://", "https://")) or len(base) > 500:
        raise Problem(400, "integrationSettings.baseUrl must be an http(s) URL of at most 500 characters, "
                           f"e.g. {example}", field="integrationSettings.baseUrl")
    return {"baseUrl": base.rstrip("/")}
