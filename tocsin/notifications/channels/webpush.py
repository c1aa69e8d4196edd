"""Web Push: RFC 8030 delivery, RFC 8291 payload encryption (aes128gcm), RFC 8292 VAPID.

The browser subscribes with our VAPID public key (GET /api/push/vapid-public-key) and hands us the
subscription (POST /api/users/me/push-subscriptions), kept as a PUSH contact method: `address` is the
push service endpoint, `data["keys"]` the browser's P-256 public key (p256dh) and auth secret. We
POST each message straight to that push service: no vendor relay, no third-party account.

The VAPID key pair is made on first use and kept in app_secrets, so every process and every restart
signs with the same key (a new key would orphan every subscription made with the old one).

The endpoint is chosen by whoever holds a login, so it passes the SSRF guard of the webhooks
(`tocsin.notifications.ssrf`: public addresses only unless TOCSIN_ALLOW_PRIVATE_WEBHOOKS, the request
pinned to the vetted address, no redirects) and must be https unless TOCSIN_PUSH_ALLOW_HTTP.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import sign as sign_jwt
from pywebpush import WebPusher
from sqlalchemy import delete, select

from tocsin.alerts.models import Priority
from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.notifications import ssrf
from tocsin.notifications.action_tokens import AlertAction
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure
from tocsin.notifications.models import AppSecret, Channel, ContactMethod, MessageKind
from tocsin.secrets_store import get_or_create
from tocsin.settings import Settings

log = logging.getLogger(__name__)

VAPID_KEY_NAME = "vapid-private-key"
# Push services take 4096 bytes of ciphertext (about 3990 of JSON); stay well under it.
MAX_PAYLOAD_BYTES = 3000
MAX_ENDPOINT_LENGTH = 2048
P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04 || X || Y
AUTH_BYTES = 16
TIMEOUT_SECONDS = 10.0
# How long the push service keeps a message for a device that is offline. A page still matters
# within the hour; a test message does not.
TTL_SECONDS = {MessageKind.TEST: 600}
DEFAULT_TTL_SECONDS = 3600
# RFC 8292: the JWT must expire within 24 hours.
VAPID_TOKEN_LIFETIME = timedelta(hours=12)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SubscriptionGone(PermanentFailure):
    """The push service answered 404 or 410: the browser unsubscribed or the subscription expired."""


class PushServiceUnavailable(Exception):
    """429 or 5xx, or no answer at all: the message is retried."""


# --- keys and subscriptions -------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    """Strict base64url (padding optional): raises ValueError on any other character."""
    stripped = text.rstrip("=")
    try:
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def _new_private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem.decode()


def load_vapid_key(db: Database, clock: Clock) -> ec.EllipticCurvePrivateKey:
    """The server's VAPID private key, made and stored the first time it is asked for."""
    with db.session() as session:
        pem = session.scalar(select(AppSecret.value).where(AppSecret.name == VAPID_KEY_NAME))
    if pem is None:
        with db.session(write=True) as session:
            pem = get_or_create(session, clock, VAPID_KEY_NAME, _new_private_key_pem)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise RuntimeError(f"app secret {VAPID_KEY_NAME} is not a P-256 private key")
    return key


def application_server_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key as browsers take it in PushManager.subscribe(): base64url of the uncompressed point."""
    raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(raw)


def vapid_subject(settings: Settings) -> str:
    if settings.vapid_subject:
        return settings.vapid_subject
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"mailto:admin@{host}"


def endpoint_problem(endpoint: str, *, allow_http: bool, allow_private: bool) -> str | None:
    """Why tocsin will not POST to this push endpoint, or None. Checks the form and an IP literal
    host; a host name is resolved and checked right before each send (ssrf.vet)."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return f"the endpoint is longer than {MAX_ENDPOINT_LENGTH} characters"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in endpoint):
        return "the endpoint must not contain spaces or control characters"
    try:
        parsed, host, _port = ssrf.parse(endpoint)
    except ssrf.UnsafeURL as exc:
        return str(exc)
    if parsed.scheme != "https" and not allow_http:
        return "the endpoint must be an https URL"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    reason = ssrf.refused_because(address, allow_private=allow_private)
    return f"refused: {address} is {reason}" if reason else None


def keys_problem(keys: Any) -> str | None:
    """Why these subscription keys cannot encrypt a message, or None."""
    if not isinstance(keys, dict) or not isinstance(keys.get("p256dh"), str) or not isinstance(keys.get("auth"), str):
        return "the subscription has no p256dh and auth keys"
    try:
        p256dh, auth = unb64url(keys["p256dh"]), unb64url(keys["auth"])
    except ValueError:
        return "the subscription keys must be base64url"
    if len(p256dh) != P256DH_BYTES or p256dh[0] != 0x04:
        return f"p256dh must be an uncompressed P-256 public key ({P256DH_BYTES} bytes)"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        return "p256dh is not a point on the P-256 curve"
    if len(auth) != AUTH_BYTES:
        return f"auth must be a {AUTH_BYTES}-byte secret"
    return None


def origin(target: ssrf.Target) -> str:
    """scheme://host[:port] of the endpoint, the default port left out: the VAPID audience."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    if target.port != _DEFAULT_PORTS.get(target.scheme):
        host = f"{host}:{target.port}"
    return f"{target.scheme}://{host}"


# --- the message ------------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _encoded(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _fit(doc: dict[str, Any], fields: tuple[str, ...], limit: int) -> bytes:
    """The JSON of `doc`, shortening the text fields (in that order) until it fits in `limit` bytes."""
    data = _encoded(doc)
    for name in fields:
        while len(data) > limit and doc.get(name):
            text = str(doc[name]).removesuffix("…")
            # Every character costs at least one byte: cutting the excess (plus the ellipsis) is
            # enough unless escapes or multi-byte characters were cut; then go round again.
            keep = max(0, len(text) - (len(data) - limit) - 3)
            doc[name] = text[:keep] + "…" if keep else ""
            data = _encoded(doc)
    return data


def payload(message: OutboundMessage, base_url: str) -> bytes:
    """What the service worker gets: JSON, at most MAX_PAYLOAD_BYTES in UTF-8."""
    doc: dict[str, Any] = {
        "type": message.kind.value.lower(),
        "notificationId": message.notification_id,
        "title": _cut(message.subject, 200),
        "body": _cut(message.text, 1500),
    }
    alert = message.alert
    if alert is None:
        doc["url"] = str(message.extra.get("url") or f"{base_url}/")
        doc.update(message.extra.get("push") or {})
    else:
        doc.update(alertId=alert["id"], summary=_cut(str(alert["summary"]), 1000), priority=alert["priority"],
                   state=alert["state"], url=alert["url"])
        actions = [{"action": action.value, "token": alert[f"{action.value}Token"]}
                   for action in AlertAction if f"{action.value}Token" in alert]
        if actions:
            doc["actions"] = actions
    return _fit(doc, ("body", "summary", "title"), MAX_PAYLOAD_BYTES)


def urgency(message: OutboundMessage) -> str:
    """RFC 8030 Urgency: a HIGH page (and a test of the device) wakes it; the rest can wait for it."""
    if message.kind is MessageKind.TEST:
        return "high"
    if message.kind is MessageKind.ALERT and message.alert and message.alert.get("priority") == Priority.HIGH.value:
        return "high"
    return "normal"


# --- the channel ------------------------------------------------------------------------------------


class WebPushSender:
    channel = Channel.PUSH

    def __init__(self, db: Database, clock: Clock, *, base_url: str, subject: str, allow_http: bool = False,
                 allow_private: bool = False, timeout: float = TIMEOUT_SECONDS,
                 resolver: ssrf.Resolver = ssrf.resolve) -> None:
        self.db = db
        self.clock = clock
        self.base_url = base_url
        self.subject = subject
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.timeout = timeout
        self.resolver = resolver
        self._key: ec.EllipticCurvePrivateKey | None = None

    @classmethod
    def from_settings(cls, settings: Settings, db: Database, clock: Clock) -> WebPushSender:
        return cls(db, clock, base_url=settings.base_url, subject=vapid_subject(settings),
                   allow_http=settings.push_allow_http, allow_private=settings.allow_private_webhooks)

    @property
    def key(self) -> ec.EllipticCurvePrivateKey:
        if self._key is None:
            self._key = load_vapid_key(self.db, self.clock)
        return self._key

    def authorization(self, target: ssrf.Target) -> str:
        """The RFC 8292 Authorization header for a request to this endpoint's push service."""
        expires = self.clock.now() + VAPID_TOKEN_LIFETIME
        claims = {"aud": origin(target), "exp": int(expires.timestamp()), "sub": self.subject}
        token: str = sign_jwt(claims, self.key)
        return f"vapid t={token}, k={application_server_key(self.key)}"

    def send(self, message: OutboundMessage) -> str:
        endpoint = message.address
        keys = message.contact_data.get("keys")
        problem = endpoint_problem(endpoint, allow_http=self.allow_http, allow_private=self.allow_private)
        problem = problem or keys_problem(keys)
        if problem:
            raise PermanentFailure(f"unusable push subscription: {problem}")
        assert isinstance(keys, dict)
        try:  # HostNotFound (a ConnectionError) is retried
            target = ssrf.vet(endpoint, allow_private=self.allow_private, resolver=self.resolver)
        except ssrf.UnsafeURL as exc:
            raise PermanentFailure(f"push endpoint {exc}") from None
        subscription = {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}
        body: bytes = WebPusher(subscription).encode(payload(message, self.base_url), "aes128gcm")["body"]
        headers = {
            "Authorization": self.authorization(target),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS.get(message.kind, DEFAULT_TTL_SECONDS)),
            "Urgency": urgency(message),
        }
        if message.alert is not None:
            # A newer message about the same alert replaces one the push service still holds.
            headers["Topic"] = f"alert-{message.alert['id']}"
        try:
            with ssrf.pinned_client(target, timeout=self.timeout) as client:
                response = client.post(target.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise PushServiceUnavailable(f"the push service at {target.host} did not answer within "
                                         f"{self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise PushServiceUnavailable(f"could not reach the push service at {target.host}: {exc}") from None
        return self._answer(message, response)

    def _answer(self, message: OutboundMessage, response: httpx.Response) -> str:
        status = f"{response.status_code} {response.reason_phrase}".strip()
        if response.is_success:
            location = response.headers.get("location", "")
            return f"{status} {location}".strip()
        # The answer body comes from a host a user named: log a little of it, store none of it.
        log.info("push service answered %s for notification %s: %.200r", status, message.notification_id,
                 response.text)
        if response.status_code in (404, 410):
            removed = self._forget(message.address)
            raise SubscriptionGone(f"the push subscription is gone ({status}); "
                                   f"removed {removed} contact method{'s' if removed != 1 else ''}")
        if response.status_code == 429 or response.status_code >= 500:
            raise PushServiceUnavailable(f"push service answered {status}")
        if 300 <= response.status_code < 400:
            raise PermanentFailure(f"push service answered {status}; redirects are not followed")
        raise PermanentFailure(f"push service refused the message: {status}")

    def _forget(self, endpoint: str) -> int:
        """Remove every PUSH contact method with this endpoint: the push service will not take it again."""
        with self.db.session(write=True) as session:
            result = session.execute(delete(ContactMethod).where(ContactMethod.channel == Channel.PUSH.value,
                                                                 ContactMethod.address == endpoint))
        removed = int(getattr(result, "rowcount", 0) or 0)
        log.info("removed %d push subscription(s) the push service no longer knows", removed)
        return removed
