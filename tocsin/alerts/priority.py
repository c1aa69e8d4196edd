"""Which priority a new alert gets: the event's own, or the alert source's rule (support hours)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tocsin.alerts.models import AlertSource, Priority, PriorityRule, Severity

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")

SEVERITY_PRIORITY = {
    Severity.CRITICAL: Priority.HIGH,
    Severity.ERROR: Priority.HIGH,
    Severity.WARNING: Priority.LOW,
    Severity.INFO: Priority.LOW,
}


def parse_clock_time(text: str) -> time:
    """'HH:MM'; '24:00' means the end of the day."""
    if text == "24:00":
        return time.max
    hours, _, minutes = text.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day as HH:MM")
    return time(int(hours), int(minutes))


def in_support_hours(support_hours: dict[str, Any], at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(support_hours["timezone"]))
    window = support_hours.get("supportDays", {}).get(WEEKDAYS[local.weekday()])
    if not window:
        return False
    start, end = parse_clock_time(window["start"]), parse_clock_time(window["end"])
    return start <= local.time() < end


def rule_priority(source: AlertSource, at: datetime) -> Priority:
    rule = PriorityRule(source.priority_rule)
    if rule in (PriorityRule.HIGH, PriorityRule.LOW):
        return Priority(rule.value)
    inside = source.support_hours is not None and in_support_hours(source.support_hours, at)
    if rule is PriorityRule.HIGH_DURING_SUPPORT_HOURS:
        return Priority.HIGH if inside else Priority.LOW
    return Priority.LOW if inside else Priority.HIGH


def alert_priority(
    source: AlertSource, at: datetime, event_priority: Priority | None, event_severity: Severity | None
) -> Priority:
    """The event's priority (or its severity's) wins unless the source is set to ignore it."""
    if not source.ignore_event_priority:
        if event_priority is not None:
            return event_priority
        if event_severity is not None:
            return SEVERITY_PRIORITY[event_severity]
    return rule_priority(source, at)
