"""Jinja2 templates, the filters pages share (times in the reader's zone, safe links), asset URLs."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from tocsin.timezones import is_valid_timezone

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
SAFE_IMAGE_SCHEMES = frozenset({"http", "https"})


@cache
def asset_version(name: str) -> str:
    """A digest of the file, so a changed asset gets a new URL and browsers may cache each one for long."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def asset(name: str) -> str:
    return f"/static/{name}?v={asset_version(name)}"


def safe_url(href: Any, schemes: frozenset[str] = SAFE_LINK_SCHEMES) -> str | None:
    """The URL if it is an absolute http(s)/mailto one (alert links come from monitoring tools), else None."""
    if not isinstance(href, str) or any(c.isspace() and c != " " for c in href):
        return None
    try:
        scheme = urlsplit(href.strip()).scheme.lower()
    except ValueError:
        return None
    return href.strip() if scheme in schemes else None


def safe_image(src: Any) -> str | None:
    return safe_url(src, SAFE_IMAGE_SCHEMES)


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name if name and is_valid_timezone(name) else "UTC")


@pass_context
def when(context: Context, moment: datetime | None) -> str:
    """'14:05' today, 'Mon 2 Mar, 14:05' this year, else with the year; in the reader's time zone."""
    if moment is None:
        return ""
    tz = zone(context.get("tz"))
    local, today = moment.astimezone(tz), context["now"].astimezone(tz)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return f"{local.strftime('%a')} {local.day} {local.strftime('%b, %H:%M')}"
    return f"{local.day} {local.strftime('%b %Y, %H:%M')}"


@pass_context
def ago(context: Context, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return age(context["now"] - moment)


def age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def minutes(value: int) -> str:
    if value < 60 or value % 60:
        return f"{value} min"
    hours = value // 60
    return f"{hours} h" if hours < 48 or hours % 24 else f"{hours // 24} d"


def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def title_case(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["asset"] = asset
    env.filters.update(when=when, ago=ago, minutes=minutes, iso=iso, safe_url=safe_url, safe_image=safe_image,
                       title_case=title_case)
    return env


ENV = _environment()


def html(request: Request, template: str, context: dict[str, Any], *, status: int = 200,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    body = ENV.get_template(template).render({"request": request, **context})
    return HTMLResponse(body, status_code=status, headers=headers)
