"""Reading loosely typed vendor bodies: texts, required fields, keys, links and labels within the event limits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from tocsin.alerts.events import MAX_KEY_LENGTH, MAX_SUMMARY_LENGTH, Comment
from tocsin.integrations.base import BadPayload

MAX_LINK_LENGTH = 2048
MAX_LABELS = 100
MAX_LABEL_LENGTH = 255
MAX_DETAILS_LENGTH = 100_000


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


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or {} for anything else (vendors send null for empty maps)."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def texts(value: Any) -> list[str]:
    """The texts of a JSON list (others left out); a lone text as a one-item list."""
    items = value if isinstance(value, list) else [value]
    return [found for item in items if (found := text(item)) is not None]


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


def alert_key(*parts: str) -> str:
    """The parts joined by ':'; one that would not fit the key column keeps its start and a hash of the whole."""
    key = ":".join(parts)
    if len(key.strip().lower()) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{key[: MAX_KEY_LENGTH - 64]}~{digest}"


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def summary(value: str) -> str:
    return clip(" ".join(value.split()), MAX_SUMMARY_LENGTH)


def details(*parts: str | None) -> str | None:
    """The non-empty parts as paragraphs, or None."""
    found = [part.strip() for part in parts if part and part.strip()]
    return clip("\n\n".join(found), MAX_DETAILS_LENGTH) if found else None


def link(href: Any, label: str) -> dict[str, str] | None:
    url = text(href)
    if url is None or len(url) > MAX_LINK_LENGTH or not url.lower().startswith(("http://", "https://")):
        return None
    return {"href": url, "text": label}


def links(*pairs: tuple[Any, str]) -> list[dict[str, str]]:
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


def comment(content: str | None, creator: str | None) -> list[Comment]:
    return [Comment(content=clip(content, 10_000), creator=creator)] if content else []


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries that carry something (None, '' and empty containers left out)."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}
