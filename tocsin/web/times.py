"""Times as a person reads them: in their own zone, by day, and the other way round for form fields
(a datetime-local value means wall-clock time in the reader's zone)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.errors import Problem
from tocsin.schedules.rotation import wall_to_utc

DASH = "\u2013"
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def day_name(day: date, today: date) -> str:
    """'Today', 'Tomorrow', else 'Wednesday 4 March' (with the year when it is not this year's)."""
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    if day == today - timedelta(days=1):
        return "Yesterday"
    text = f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"
    return text if day.year == today.year else f"{text} {day.year}"


def short_day(day: date) -> str:
    return f"{day.strftime('%a')} {day.day} {day.strftime('%b')}"


def span(start: datetime, end: datetime, tz: ZoneInfo, now: datetime, *, under_day: bool = False) -> str:
    """'09:00 - 17:00' within one day; '09:00 - Tue 3 Mar, 09:00' across days (an en dash); the start's day is
    given when it is not today, unless the text goes under a heading that names the day."""
    lo, hi, today = start.astimezone(tz), end.astimezone(tz), now.astimezone(tz).date()
    first = lo.strftime("%H:%M") if lo.date() == today or under_day else f"{short_day(lo.date())}, {lo:%H:%M}"
    if hi.date() == lo.date() or (hi.time() == time(0) and hi.date() == lo.date() + timedelta(days=1)):
        last = "24:00" if hi.date() != lo.date() else hi.strftime("%H:%M")
    else:
        last = f"{short_day(hi.date())}, {hi:%H:%M}"
    return f"{first} {DASH} {last}"


def until(moment: datetime, now: datetime) -> str:
    """'in 25 min', 'in 3 h', 'in 2 d' (rounded down), 'now'."""
    seconds = int((moment - now).total_seconds())
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"in {seconds // 60} min"
    if seconds < 2 * 86400:
        hours, rest = divmod(seconds, 3600)
        return f"in {hours} h {rest // 60} min" if hours < 10 and rest >= 60 else f"in {hours} h"
    return f"in {seconds // 86400} d"


def field_value(moment: datetime, tz: ZoneInfo) -> str:
    """A datetime-local input's value for an instant."""
    return moment.astimezone(tz).strftime(INPUT_FORMAT)


def parse_field(value: str, tz: ZoneInfo, label: str) -> datetime:
    """A datetime-local value in the reader's zone as an instant; 400 naming the field when it is no time."""
    try:
        wall = datetime.strptime(value.strip()[:16], INPUT_FORMAT)
    except ValueError:
        raise Problem(400, f"{label}: give a date and time, e.g. 2026-03-04T18:00", field=label) from None
    return wall_to_utc(wall, tz)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return wall_to_utc(datetime.combine(day, time(0)), tz)


def week_title(monday: date) -> str:
    """'2 - 8 March 2026', '30 March - 5 April 2026', '29 December 2025 - 4 January 2026' (en dashes)."""
    sunday = monday + timedelta(days=6)
    if monday.year != sunday.year:
        return f"{monday.day} {monday:%B %Y} {DASH} {sunday.day} {sunday:%B %Y}"
    if monday.month != sunday.month:
        return f"{monday.day} {monday:%B} {DASH} {sunday.day} {sunday:%B %Y}"
    return f"{monday.day} {DASH} {sunday.day} {sunday:%B %Y}"
