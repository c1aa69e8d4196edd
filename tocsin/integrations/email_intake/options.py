"""An EMAIL alert source's integrationSettings: how mails become alerts, checked when the source is saved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tocsin.errors import Problem

MAX_PATTERN_LENGTH = 500
# Patterns are case-insensitive; ^ and $ also match at line breaks of the body.
PATTERN_FLAGS = re.IGNORECASE | re.MULTILINE


class EmailMode(StrEnum):
    ONE_ALERT_PER_EMAIL = "ONE_ALERT_PER_EMAIL"
    ONE_ALERT_PER_SUBJECT = "ONE_ALERT_PER_SUBJECT"


PATTERN_FIELDS = ("alertKeyPattern", "resolvePattern", "highPriorityPattern", "lowPriorityPattern")
KNOWN_FIELDS = ("mode", *PATTERN_FIELDS)


@dataclass(frozen=True)
class EmailOptions:
    mode: EmailMode = EmailMode.ONE_ALERT_PER_EMAIL
    alert_key_pattern: re.Pattern[str] | None = None
    resolve_pattern: re.Pattern[str] | None = None
    high_priority_pattern: re.Pattern[str] | None = None
    low_priority_pattern: re.Pattern[str] | None = None


def _field(name: str) -> str:
    return f"integrationSettings.{name}"


def _compile(name: str, value: Any) -> re.Pattern[str]:
    if not isinstance(value, str) or not value.strip():
        raise Problem(400, f"{name} must be a non-empty regular expression", field=_field(name))
    if len(value) > MAX_PATTERN_LENGTH:
        raise Problem(400, f"{name} must be at most {MAX_PATTERN_LENGTH} characters", field=_field(name))
    try:
        pattern = re.compile(value, PATTERN_FLAGS)
    except (re.error, RecursionError, OverflowError) as exc:
        raise Problem(400, f"{name} is not a valid regular expression: {exc}", field=_field(name)) from None
    if pattern.search("") is not None:
        raise Problem(400, f"{name} matches the empty text, so it would match every email", field=_field(name))
    return pattern


def validate_email_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned settings of an EMAIL alert source, or Problem(400) naming the field at fault."""
    unknown = sorted(set(settings) - set(KNOWN_FIELDS))
    if unknown:
        raise Problem(400, f"unknown email setting(s) {', '.join(unknown)}; known: {', '.join(KNOWN_FIELDS)}",
                      field=_field(unknown[0]))
    mode = settings.get("mode", EmailMode.ONE_ALERT_PER_EMAIL.value)
    if mode not in EmailMode.__members__:
        raise Problem(400, f"mode must be one of {', '.join(EmailMode)}", field=_field("mode"))
    cleaned: dict[str, Any] = {"mode": mode}
    for name in PATTERN_FIELDS:
        value = settings.get(name)
        if value is None:
            continue
        pattern = _compile(name, value)
        if name == "alertKeyPattern" and pattern.groups > 1 and "key" not in pattern.groupindex:
            raise Problem(400, "alertKeyPattern has several groups; name the one holding the key (?P<key>...)",
                          field=_field(name))
        cleaned[name] = value
    return cleaned


def email_options(settings: Mapping[str, Any]) -> EmailOptions:
    """The settings as stored (validated when saved) turned into compiled patterns."""
    cleaned = validate_email_settings(settings)

    def pattern(name: str) -> re.Pattern[str] | None:
        value = cleaned.get(name)
        return re.compile(value, PATTERN_FLAGS) if value is not None else None

    return EmailOptions(
        mode=EmailMode(cleaned["mode"]),
        alert_key_pattern=pattern("alertKeyPattern"),
        resolve_pattern=pattern("resolvePattern"),
        high_priority_pattern=pattern("highPriorityPattern"),
        low_priority_pattern=pattern("lowPriorityPattern"),
    )
