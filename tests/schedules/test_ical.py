"""iCal feeds: valid RFC 5545 (parsed with icalendar), secret tokens, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tests.schedules.helpers import create_schedule, rotation
from tocsin.clock import FrozenClock
from tocsin.schedules.ical import CalendarEvent, calendar


def fetch(client: TestClient, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_schedule_and_personal_feeds_are_valid_calendars(client: TestClient, admin: Actor, responder: Actor,
                                                         team: int, clock: FrozenClock) -> None:
    schedule = create_schedule(client, admin, teams=[team], layers=[rotation([responder], clock.now())],
                               name="Ops; primary, EU")
    feed = client.post("/api/calendar-feeds", headers=responder.headers, json={"schedule": {"id": schedule["id"]}})
    assert feed.status_code == 201, feed.text
    answer = fetch(client, feed.json()["url"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(answer.text)
    assert cal["X-WR-CALNAME"] == "Ops\\; primary\\, EU"  # a TEXT value, escaped (icalendar keeps X- raw)
    [event] = cal.walk("VEVENT")  # one user: one continuous shift inside the feed's window
    assert event["DTSTART"].dt == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Rita Responder on call"

    personal = client.post("/api/calendar-feeds", headers=responder.headers, json={}).json()
    mine = icalendar.Calendar.from_ical(fetch(client, personal["url"]).text)
    assert [str(e["SUMMARY"]) for e in mine.walk("VEVENT")] == ["On call: Ops; primary, EU"]
    listed = client.get("/api/calendar-feeds", headers=responder.headers).json()
    assert [f["schedule"]["id"] if f["schedule"] else None for f in listed] == [schedule["id"], None]
    assert all(f["url"] is None and f["lastUsedAt"] for f in listed)


def test_feed_tokens_are_checked_and_revocable(client: TestClient, admin: Actor, responder: Actor, outsider: Actor,
                                               team: int, clock: FrozenClock) -> None:
    schedule = create_schedule(client, admin, teams=[team], layers=[rotation([responder], clock.now())])
    other = create_schedule(client, admin, teams=[team], layers=[rotation([responder], clock.now())], name="B")
    feed = client.post("/api/calendar-feeds", headers=responder.headers,
                       json={"schedule": {"id": schedule["id"]}}).json()
    token = feed["url"].split("token=")[1]
    problem(client.get(f"/api/schedules/{other['id']}/ical", params={"token": token}), 404)
    problem(client.get("/api/users/me/shifts/ical", params={"token": token}), 404)
    problem(client.get(f"/api/schedules/{schedule['id']}/ical", params={"token": "tcf_wrong"}), 404)
    problem(client.delete(f"/api/calendar-feeds/{feed['id']}", headers=outsider.headers), 404)
    assert client.delete(f"/api/calendar-feeds/{feed['id']}", headers=responder.headers).status_code == 204
    problem(fetch(client, feed["url"]), 404)


def test_long_and_special_text_is_escaped_and_folded() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    summary = "Ünïcode, semi;colons \\ and a very long line " * 4
    text = calendar("Name", [CalendarEvent("u1", start, start + timedelta(hours=1), summary, "two\nlines")], start)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == summary and str(event["DESCRIPTION"]) == "two\nlines"
