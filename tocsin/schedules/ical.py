"""RFC 5545 calendars of on-call shifts, and the secret feed URLs that serve them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth import security
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.errors import not_found
from tocsin.schedules.models import CalendarFeed, Schedule

FEED_PREFIX = "tcf_"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def _text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace(
        "\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF and a space (3.1)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[CalendarEvent], now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tocsin//on-call schedules//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", f"X-WR-CALNAME:{_text(name)}", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT", f"UID:{_text(event.uid)}", f"DTSTAMP:{_stamp(now)}", f"DTSTART:{_stamp(event.start)}",
            f"DTEND:{_stamp(event.end)}", f"SUMMARY:{_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{_text(event.description)}")
        lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def create_feed(session: Session, clock: Clock, user: User, schedule: Schedule | None) -> tuple[CalendarFeed, str]:
    token = FEED_PREFIX + secrets.token_urlsafe(24)
    feed = CalendarFeed(user_id=user.id, schedule_id=schedule.id if schedule else None,
                        token_digest=security.digest(token), token_hint=token[-4:], created_at=clock.now())
    session.add(feed)
    session.flush()
    return feed, token


def feed_url(base_url: str, feed: CalendarFeed, token: str) -> str:
    """The secret address calendar apps subscribe to (known only when the feed is made)."""
    path = f"/api/schedules/{feed.schedule_id}/ical" if feed.schedule_id else "/api/users/me/shifts/ical"
    return f"{base_url}{path}?token={token}"


def list_feeds(session: Session, user: User) -> list[CalendarFeed]:
    return list(session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id).order_by(CalendarFeed.id)))


def get_own_feed(session: Session, user: User, feed_id: int) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != user.id:
        raise not_found("calendar feed")
    return feed


def revoke_feed(session: Session, user: User, feed_id: int) -> None:
    session.delete(get_own_feed(session, user, feed_id))
    session.flush()


def feed_for_token(session: Session, clock: Clock, token: str, *, schedule_id: int | None) -> tuple[CalendarFeed, User]:
    """The feed a token opens, for that schedule (None: a personal feed); 404 for anything else."""
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_digest == security.digest(token.strip())))
    user = session.get(User, feed.user_id) if feed is not None else None
    if feed is None or user is None or feed.schedule_id != schedule_id:
        raise not_found("calendar feed")
    feed.last_used_at = clock.now()
    return feed, user
