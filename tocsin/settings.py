"""Settings read from TOCSIN_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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
    # Chat and webhook channels (SLACK, TEAMS, WEBHOOK): their URLs may only reach public internet
    # addresses unless the admin allows loopback/private ones (see tocsin/notifications/ssrf.py).
    allow_private_webhooks: bool = False
    webhook_timeout_seconds: float = 10
    # Web Push: the VAPID "sub" claim, how a push service reaches the operator (default mailto:admin@<host
    # of base_url>). Push endpoints must be https unless push_allow_http (tests' local push service).
    vapid_subject: str = ""
    push_allow_http: bool = False
    # Outgoing email (the EMAIL channel is on when smtp_host is set). Port 0 picks the security's
    # usual port: 25 (none), 587 (starttls), 465 (ssl).
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_security: str = "starttls"  # none | starttls | ssl
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""  # default: tocsin@<host of base_url>
    smtp_timeout_seconds: float = 20
    # SMS and voice through a Twilio-compatible REST API: on when account SID, auth token and from are set.
    twilio_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str = ""  # the E.164 number messages and calls come from
    # Email to alert: <integration key>@<email_domain>, received by an SMTP server (part of `serve`).
    email_domain: str = "alerts.localhost"
    smtpd_enabled: bool = True
    smtpd_host: str = "127.0.0.1"
    smtpd_port: int = 2525
    smtpd_max_bytes: int = 10 * 1024 * 1024

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
            allow_private_webhooks=_bool("TOCSIN_ALLOW_PRIVATE_WEBHOOKS", False),
            webhook_timeout_seconds=_float("TOCSIN_WEBHOOK_TIMEOUT_SECONDS", 10),
            vapid_subject=os.environ.get("TOCSIN_VAPID_SUBJECT", "").strip(),
            push_allow_http=_bool("TOCSIN_PUSH_ALLOW_HTTP", False),
            smtp_host=os.environ.get("TOCSIN_SMTP_HOST", "").strip(),
            smtp_port=_int("TOCSIN_SMTP_PORT", 0),
            smtp_security=os.environ.get("TOCSIN_SMTP_SECURITY", "").strip().lower() or "starttls",
            smtp_username=os.environ.get("TOCSIN_SMTP_USERNAME", ""),
            smtp_password=os.environ.get("TOCSIN_SMTP_PASSWORD", ""),
            smtp_from=os.environ.get("TOCSIN_SMTP_FROM", "").strip(),
            smtp_timeout_seconds=_float("TOCSIN_SMTP_TIMEOUT_SECONDS", 20),
            twilio_base_url=os.environ.get("TOCSIN_TWILIO_BASE_URL", "").strip() or "https://api.twilio.com",
            twilio_account_sid=os.environ.get("TOCSIN_TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=os.environ.get("TOCSIN_TWILIO_AUTH_TOKEN", "").strip(),
            twilio_from=os.environ.get("TOCSIN_TWILIO_FROM", "").strip(),
            email_domain=os.environ.get("TOCSIN_EMAIL_DOMAIN", "").strip().lower().rstrip(".") or "alerts.localhost",
            smtpd_enabled=_bool("TOCSIN_SMTPD_ENABLED", True),
            smtpd_host=os.environ.get("TOCSIN_SMTPD_HOST", "").strip() or "127.0.0.1",
            smtpd_port=_int("TOCSIN_SMTPD_PORT", 2525),
            smtpd_max_bytes=_int("TOCSIN_SMTPD_MAX_BYTES", 10 * 1024 * 1024),
        )
