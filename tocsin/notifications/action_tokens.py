"""Signed, expiring tokens that let one person take one action on one alert without logging in.

Used by email links (which open a confirm page whose button POSTs) and by push notification
buttons. A token names the alert, the action, the user acting and an expiry, and is signed with
HMAC-SHA256 under a key the server generates on first use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.secrets_store import get_or_create

KEY_NAME = "action-token-key"
EMAIL_TOKEN_LIFETIME = timedelta(hours=24)
PUSH_TOKEN_LIFETIME = timedelta(hours=12)


class AlertAction(StrEnum):
    ACCEPT = "accept"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class ActionGrant:
    alert_id: int
    action: AlertAction
    user_id: int
    expires_at: datetime


class InvalidToken(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(session: Session, clock: Clock) -> bytes:
    return _unb64(get_or_create(session, clock, KEY_NAME, lambda: _b64(secrets.token_bytes(32))))


def sign(session: Session, clock: Clock, grant: ActionGrant) -> str:
    body = json.dumps(
        {"a": grant.alert_id, "x": grant.action.value, "u": grant.user_id, "e": int(grant.expires_at.timestamp())},
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(signing_key(session, clock), body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def issue(session: Session, clock: Clock, alert_id: int, action: AlertAction, user_id: int,
          lifetime: timedelta) -> str:
    return sign(session, clock, ActionGrant(alert_id, action, user_id, clock.now() + lifetime))


def verify(session: Session, clock: Clock, token: str) -> ActionGrant:
    try:
        body_text, mac_text = token.split(".", 1)
        body, mac = _unb64(body_text), _unb64(mac_text)
    except ValueError:
        raise InvalidToken("malformed action token") from None
    expected = hmac.new(signing_key(session, clock), body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise InvalidToken("action token signature does not match")
    try:
        data = json.loads(body)
        grant = ActionGrant(int(data["a"]), AlertAction(data["x"]), int(data["u"]),
                            datetime.fromtimestamp(int(data["e"]), tz=clock.now().tzinfo))
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("malformed action token") from None
    if grant.expires_at <= clock.now():
        raise InvalidToken("this link has expired")
    return grant
