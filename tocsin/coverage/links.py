"""Signed, single-use links in coverage emails: accept or decline one request as one receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.coverage.models import CoverageLinkUse
from tocsin.notifications.action_tokens import InvalidToken, signing_key

MAX_TOKEN_LENGTH = 400


class LinkAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


@dataclass(frozen=True)
class LinkGrant:
    request_id: int
    action: LinkAction
    user_id: int
    expires_at: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(session: Session, clock: Clock, request_id: int, action: LinkAction, user_id: int,
          expires_at: datetime) -> str:
    body = json.dumps({"c": request_id, "x": action.value, "u": user_id, "e": int(expires_at.timestamp()),
                       "n": secrets.token_hex(12)}, separators=(",", ":")).encode()
    mac = hmac.new(signing_key(session, clock), b"coverage:" + body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def verify(session: Session, clock: Clock, token: str) -> LinkGrant:
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed link")
    try:
        body_text, mac_text = token.split(".", 1)
        body, mac = _unb64(body_text), _unb64(mac_text)
    except ValueError:
        raise InvalidToken("malformed link") from None
    expected = hmac.new(signing_key(session, clock), b"coverage:" + body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise InvalidToken("link signature does not match")
    try:
        doc = json.loads(body)
        grant = LinkGrant(int(doc["c"]), LinkAction(doc["x"]), int(doc["u"]),
                          datetime.fromtimestamp(int(doc["e"]), UTC), str(doc["n"]))
    except (ValueError, KeyError, TypeError):
        raise InvalidToken("malformed link") from None
    if grant.expires_at <= clock.now():
        raise InvalidToken("link expired")
    if is_spent(session, grant):
        raise InvalidToken("link already used")
    return grant


def is_spent(session: Session, grant: LinkGrant) -> bool:
    return session.get(CoverageLinkUse, grant.nonce) is not None


def spend(session: Session, clock: Clock, grant: LinkGrant) -> None:
    session.add(CoverageLinkUse(nonce=grant.nonce, used_at=clock.now()))
    session.flush()
