"""IANA time zone names."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1024)
def is_valid_timezone(name: str) -> bool:
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, a name too long
        return False
    return True


def require_timezone(name: str) -> str:
    if not is_valid_timezone(name):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin")
    return name


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The zone of a validated name; UTC for one that has since disappeared from the tz database."""
    return ZoneInfo(name) if is_valid_timezone(name) else ZoneInfo("UTC")
