"""ISO 8601 durations (PnDTnHnMnS, PnW) as used by alert source settings."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)

MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as 'PT30M' or 'P1DT12H'. Years and months are refused (not fixed lengths)."""
    match = _PATTERN.match(text.strip().upper()) if text else None
    if match is None or text.strip().upper() in {"P", "PT"} or text.strip().upper().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT30M, PT4H or P1D")
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    try:
        duration = timedelta(**parts)
    except OverflowError:
        raise ValueError("duration must not exceed one year") from None
    if duration <= timedelta(0):
        raise ValueError("duration must be longer than zero")
    if duration > MAX_DURATION:
        raise ValueError("duration must not exceed one year")
    return duration


def format_duration(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    if time:
        out += "T" + time
    return out if out != "P" else "PT0S"
