"""Priority rules with support hours, evaluated in the support hours' own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.alerts.models import AlertSource, Priority, PriorityRule, Severity
from tocsin.alerts.priority import alert_priority, in_support_hours

BERLIN_OFFICE = {
    "timezone": "Europe/Berlin",
    "supportDays": {day: {"start": "08:00", "end": "17:00"}
                    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")},
}


def source(rule: PriorityRule, *, ignore: bool = False) -> AlertSource:
    return AlertSource(priority_rule=rule.value, support_hours=BERLIN_OFFICE, ignore_event_priority=ignore)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 3, 2, 7, 0, tzinfo=UTC), True),  # Monday 08:00 Berlin (CET)
        (datetime(2026, 3, 2, 6, 59, tzinfo=UTC), False),  # Monday 07:59 Berlin
        (datetime(2026, 3, 2, 16, 0, tzinfo=UTC), False),  # Monday 17:00 Berlin: the end is exclusive
        (datetime(2026, 7, 6, 6, 30, tzinfo=UTC), True),  # Monday 08:30 Berlin in summer time (CEST)
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_support_hours_follow_the_local_clock(moment: datetime, inside: bool) -> None:
    assert in_support_hours(BERLIN_OFFICE, moment) is inside


def test_rules() -> None:
    office = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    night = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert alert_priority(source(PriorityRule.HIGH), night, None, None) is Priority.HIGH
    assert alert_priority(source(PriorityRule.LOW), office, None, None) is Priority.LOW
    assert alert_priority(source(PriorityRule.HIGH_DURING_SUPPORT_HOURS), office, None, None) is Priority.HIGH
    assert alert_priority(source(PriorityRule.HIGH_DURING_SUPPORT_HOURS), night, None, None) is Priority.LOW
    assert alert_priority(source(PriorityRule.LOW_DURING_SUPPORT_HOURS), office, None, None) is Priority.LOW
    assert alert_priority(source(PriorityRule.LOW_DURING_SUPPORT_HOURS), night, None, None) is Priority.HIGH


def test_event_priority_wins_unless_the_source_ignores_it() -> None:
    night = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    rule = PriorityRule.HIGH_DURING_SUPPORT_HOURS
    assert alert_priority(source(rule), night, Priority.HIGH, None) is Priority.HIGH
    assert alert_priority(source(rule), night, None, Severity.CRITICAL) is Priority.HIGH
    assert alert_priority(source(rule, ignore=True), night, Priority.HIGH, Severity.CRITICAL) is Priority.LOW
