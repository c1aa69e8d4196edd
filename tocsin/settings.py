"""Settings read from TOCSIN_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///var/tocsin.db"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Public base URL used in links we hand out (integration URLs, emails).
    base_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 512 * 1024
    session_days: int = 14
    # Cookies are marked Secure when the request arrived over https; this forces it.
    secure_cookies: bool = False
    worker_poll_seconds: float = 0.5
    # Failed logins are limited per email and per client address: burst, then one per 1/rate seconds.
    login_rate_per_minute: float = 10
    login_burst: int = 10
    # Events per integration key and second (0 = unlimited); the burst absorbs a tool's batch.
    event_rate_per_key: float = 0
    event_burst_per_key: int = 1000

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("TOCSIN_DATABASE_URL", DEFAULT_DATABASE_URL),
            base_url=os.environ.get("TOCSIN_BASE_URL", "http://127.0.0.1:8080").rstrip("/"),
            max_body_bytes=_int("TOCSIN_MAX_BODY_BYTES", 512 * 1024),
            session_days=_int("TOCSIN_SESSION_DAYS", 14),
            secure_cookies=_bool("TOCSIN_SECURE_COOKIES", False),
            worker_poll_seconds=_float("TOCSIN_WORKER_POLL_SECONDS", 0.5),
            login_rate_per_minute=_float("TOCSIN_LOGIN_RATE_PER_MINUTE", 10),
            login_burst=_int("TOCSIN_LOGIN_BURST", 10),
            event_rate_per_key=_float("TOCSIN_EVENT_RATE_PER_KEY", 0),
            event_burst_per_key=_int("TOCSIN_EVENT_BURST_PER_KEY", 1000),
        )
