"""Settings read from TOCSIN_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///var/tocsin.db"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


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
    job_max_attempts: int = 8

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("TOCSIN_DATABASE_URL", DEFAULT_DATABASE_URL),
            base_url=os.environ.get("TOCSIN_BASE_URL", "http://127.0.0.1:8080").rstrip("/"),
            max_body_bytes=_int("TOCSIN_MAX_BODY_BYTES", 512 * 1024),
            session_days=_int("TOCSIN_SESSION_DAYS", 14),
            secure_cookies=_bool("TOCSIN_SECURE_COOKIES", False),
            worker_poll_seconds=float(os.environ.get("TOCSIN_WORKER_POLL_SECONDS", "0.5")),
            job_max_attempts=_int("TOCSIN_JOB_MAX_ATTEMPTS", 8),
        )
