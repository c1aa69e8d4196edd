"""A Web Push service on 127.0.0.1 standing in for the browser vendors' push services.

It does what they do with a message: checks the VAPID Authorization header (RFC 8292: an ES256 JWT
signed with the key the subscription was made with, audience = the push service's origin, not expired,
a contact in `sub`), and, where the browser would, decrypts the aes128gcm payload (RFC 8291) with the
browser's private key and auth secret. The checks are written here from the RFCs, independently of
the code under test.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi import FastAPI, Request, Response

from tocsin.clock import Clock

_VAPID = re.compile(r"^vapid t=(?P<t>[A-Za-z0-9_\-.]+),\s*k=(?P<k>[A-Za-z0-9_\-]+)$")
_URGENCIES = {"very-low", "low", "normal", "high"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One subscription as the browser holds it: its own P-256 key pair and auth secret."""

    endpoint: str
    server_key: str  # the applicationServerKey it subscribed with
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                         serialization.PublicFormat.UncompressedPoint)
        return b64(raw)

    def subscription(self) -> dict[str, Any]:
        """PushSubscription.toJSON()"""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)}}


@dataclass
class Delivery:
    browser: Browser
    payload: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]
    size: int  # bytes of ciphertext


class PushService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.url = ""  # set once served
        self.browsers: dict[str, Browser] = {}
        self.deliveries: list[Delivery] = []
        self.refused: list[str] = []  # why requests were refused (a wrong request from tocsin)
        self.answers: dict[str, list[int]] = {}  # per browser token: statuses to answer instead, in turn

    def browser(self, server_key: str) -> Browser:
        token = secrets.token_urlsafe(16)
        browser = Browser(f"{self.url}/push/{token}", server_key)
        self.browsers[token] = browser
        return browser

    def answer(self, browser: Browser, *statuses: int) -> None:
        """Answer the next requests for this browser with these statuses (then deliver again)."""
        self.answers.setdefault(browser.endpoint.rsplit("/", 1)[1], []).extend(statuses)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/push/{token}")
        async def push(token: str, request: Request) -> Response:
            browser = self.browsers.get(token)
            if browser is None:
                return Response(status_code=404)
            queued = self.answers.get(token)
            if queued:
                return Response(status_code=queued.pop(0))
            body = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            try:
                claims = self._check_vapid(headers.get("authorization", ""), browser)
                self._check_headers(headers)
            except PermissionError as exc:
                self.refused.append(str(exc))
                return Response(str(exc), status_code=403)
            except ValueError as exc:
                self.refused.append(str(exc))
                return Response(str(exc), status_code=400)
            try:
                plain = http_ece.decrypt(body, private_key=browser.private_key, auth_secret=browser.auth,
                                         version="aes128gcm")
                payload = json.loads(plain)
            except Exception as exc:
                self.refused.append(f"payload does not decrypt: {exc!r}")
                return Response("payload does not decrypt", status_code=400)
            self.deliveries.append(Delivery(browser, payload, headers, claims, len(body)))
            return Response(status_code=201, headers={"Location": f"{self.url}/m/{len(self.deliveries)}"})

        return app

    def _check_vapid(self, authorization: str, browser: Browser) -> dict[str, Any]:
        match = _VAPID.match(authorization)
        if match is None:
            raise PermissionError(f"no VAPID authorization: {authorization!r}")
        if match["k"] != browser.server_key:
            raise PermissionError("the VAPID key is not the one the subscription was made with")
        header_b64, claims_b64, signature_b64 = match["t"].split(".")
        header = json.loads(unb64(header_b64))
        if header.get("alg") != "ES256":
            raise PermissionError(f"JWT alg is {header.get('alg')!r}, not ES256")
        signature = unb64(signature_b64)
        if len(signature) != 64:
            raise PermissionError("an ES256 signature is 64 bytes (r || s)")
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(match["k"]))
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise PermissionError("the VAPID JWT signature does not verify") from None
        claims: dict[str, Any] = json.loads(unb64(claims_b64))
        if claims.get("aud") != self.url:
            raise PermissionError(f"JWT aud {claims.get('aud')!r} is not this push service's origin {self.url!r}")
        now = self.clock.now()
        expires = claims.get("exp")
        if not isinstance(expires, int) or not now.timestamp() < expires <= (now + timedelta(hours=24)).timestamp():
            raise PermissionError(f"JWT exp {expires!r} is not within the next 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise PermissionError(f"JWT sub {claims.get('sub')!r} is not a mailto: or https: contact")
        return claims

    @staticmethod
    def _check_headers(headers: dict[str, str]) -> None:
        if headers.get("content-encoding") != "aes128gcm":
            raise ValueError(f"Content-Encoding {headers.get('content-encoding')!r}, not aes128gcm")
        if not headers.get("ttl", "").isdigit():
            raise ValueError(f"TTL {headers.get('ttl')!r} is not a number of seconds")
        if headers.get("urgency", "normal") not in _URGENCIES:
            raise ValueError(f"Urgency {headers.get('urgency')!r}")
        topic = headers.get("topic")
        if topic is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", topic):
            raise ValueError(f"Topic {topic!r} is not up to 32 base64url characters")
