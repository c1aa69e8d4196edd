"""Fixtures for the notification channels' tests: real servers on 127.0.0.1 at the far end."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import socket
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qsl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tocsin.settings import Settings

# --- EMAIL channel: a real SMTP server (aiosmtpd) on 127.0.0.1 -------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return str(body.get_content()).replace("\r\n", "\n")


class SmtpHandler:
    """Records every message; answers RCPT for the addresses in `refuse` with the reply given there."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message,
                                          tls=server.transport.get_extra_info("ssl_object") is not None,
                                          authenticated=bool(session.authenticated)))
        return "250 2.0.0 Message accepted for delivery"


SMTP_USER, SMTP_PASSWORD = "tocsin", "s3cret-pw"


def check_smtp_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_smtp(port: int, **options: Any) -> Iterator[SmtpHandler]:
    """An SMTP server on 127.0.0.1:port until the block ends. Options go to aiosmtpd's SMTP class
    (tls_context, require_starttls, authenticator, auth_require_tls) or Controller (ssl_context)."""
    handler = SmtpHandler()
    if "authenticator" in options:
        options.setdefault("auth_require_tls", False)
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_port() -> int:
    """A port nothing listens on until a test (or `smtp_server`) starts a server there."""
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SmtpHandler]:
    with running_smtp(smtp_port) as handler:
        yield handler


@pytest.fixture
def smtp_settings(settings: Settings, smtp_port: int) -> Settings:
    return replace(settings, smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="none",
                   smtp_from="tocsin <pager@tocsin.example>", smtp_timeout_seconds=5)


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    """A test certificate authority: the server's certificate for 127.0.0.1 and localhost comes from it."""
    return trustme.CA()


@pytest.fixture(scope="session")
def smtp_server_tls(smtp_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    smtp_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def smtp_client_tls(smtp_ca: trustme.CA) -> ssl.SSLContext:
    """What a server whose operator installed the test CA would trust (verification stays on)."""
    context = ssl.create_default_context()
    smtp_ca.configure_trust(context)
    return context


# --- SLACK, TEAMS, WEBHOOK channels: an HTTP server on 127.0.0.1 standing in for the receivers ------


@dataclass
class ChatRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class ChatReceiver:
    """Stands in for Slack, Teams and webhook receivers: records every request; answers 200 "ok" unless
    told otherwise with `answer` (answers queue per path and are used once each)."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[ChatRequest] = []
        self._answers: dict[str, list[tuple[int, str, dict[str, str]]]] = {}

    def answer(self, path: str, status: int, text: str = "", headers: dict[str, str] | None = None, *,
               times: int = 1) -> None:
        self._answers.setdefault(path, []).extend([(status, text, headers or {})] * times)

    def at(self, path: str) -> list[ChatRequest]:
        return [r for r in self.requests if r.path == path]

    def app(self) -> Any:
        from fastapi import FastAPI
        from starlette.requests import Request
        from starlette.responses import Response

        async def receive(request: Request) -> Response:
            path = request.url.path
            self.requests.append(ChatRequest(path, {k.lower(): v for k, v in request.headers.items()},
                                             await request.body()))
            queued = self._answers.get(path)
            status, text, headers = queued.pop(0) if queued else (200, "ok", {})
            return Response(text, status_code=status, headers=headers, media_type="text/plain")

        app = FastAPI()
        app.add_route("/{path:path}", receive, methods=["GET", "POST"])  # a plain route: no parameter parsing
        return app


@pytest.fixture
def chat_receiver() -> Iterator[ChatReceiver]:
    from tests.live import serve

    receiver = ChatReceiver()
    with serve(receiver.app()) as url:
        receiver.url = url
        yield receiver


# --- PUSH channel: a Web Push service on 127.0.0.1 (tests/notifications/push_service.py) -----------


@pytest.fixture
def push_service(clock: Any) -> Iterator[Any]:
    """A served PushService: checks VAPID against the test clock, decrypts with the browser's key."""
    from tests.live import serve
    from tests.notifications.push_service import PushService

    service = PushService(clock)
    with serve(service.app()) as url:
        service.url = url
        yield service


# --- SMS and VOICE channels: a stand-in Twilio REST API on 127.0.0.1 ------------------------------

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-for-tests"
TWILIO_FROM = "+15005550006"
TWILIO_INVALID_ERROR = 21211


@dataclass
class TwilioCreated:
    """One resource created at the stand-in: Messages or Calls, with the form fields it was sent."""

    resource: str
    sid: str
    fields: dict[str, str]


class FakeTwilio:
    """Speaks the two Twilio REST endpoints tocsin uses, checks basic auth, answers Twilio-shaped JSON.

    `invalid_numbers` are refused as Twilio refuses them (400, error 21211); `answers` are given,
    in order, to the next requests instead (for 429/5xx)."""

    def __init__(self) -> None:
        self.url = ""
        self.created: list[TwilioCreated] = []
        self.refused: list[dict[str, str]] = []
        self.invalid_numbers: set[str] = set()
        self.answers: list[tuple[int, dict[str, Any]]] = []

    def resources(self, resource: str) -> list[TwilioCreated]:
        return [c for c in self.created if c.resource == resource]

    def app(self) -> Any:
        from fastapi import FastAPI, Request
        from fastapi.responses import JSONResponse

        app = FastAPI()

        async def create(resource: str, account_sid: str, request: Request) -> JSONResponse:
            expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
            if request.headers.get("authorization") != expected or account_sid != TWILIO_SID:
                return JSONResponse({"code": 20003, "message": "Authenticate", "more_info":
                                     "https://www.twilio.com/docs/errors/20003", "status": 401}, status_code=401)
            fields = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            if self.answers:
                status, body = self.answers.pop(0)
                self.refused.append(fields)
                return JSONResponse(body, status_code=status)
            if fields.get("To") in self.invalid_numbers:
                self.refused.append(fields)
                return JSONResponse({"code": TWILIO_INVALID_ERROR, "status": 400,
                                     "message": f"The 'To' number {fields['To']} is not a valid phone number.",
                                     "more_info": "https://www.twilio.com/docs/errors/21211"}, status_code=400)
            sid = ("SM" if resource == "Messages" else "CA") + uuid.uuid4().hex
            self.created.append(TwilioCreated(resource, sid, fields))
            return JSONResponse({"sid": sid, "account_sid": account_sid, "to": fields.get("To"),
                                 "from": fields.get("From"), "body": fields.get("Body"), "status": "queued",
                                 "uri": f"/2010-04-01/Accounts/{account_sid}/{resource}/{sid}.json"},
                                status_code=201)

        # Plain Starlette routes: the endpoints take the request as it is (no annotation to resolve).
        for resource in ("Messages", "Calls"):
            async def endpoint(request: Request, resource: str = resource) -> JSONResponse:
                return await create(resource, request.path_params["account_sid"], request)

            app.add_route(f"/2010-04-01/Accounts/{{account_sid}}/{resource}.json", endpoint, methods=["POST"])
        return app


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    from tests.live import serve

    fake = FakeTwilio()
    with serve(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
def twilio_settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    # A public base URL unlike the address requests arrive at: the server sits behind a proxy.
    return replace(settings, base_url="https://oncall.example.com/tocsin", twilio_base_url=twilio.url,
                   twilio_account_sid=TWILIO_SID, twilio_auth_token=TWILIO_TOKEN, twilio_from=TWILIO_FROM)


def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC-SHA1 of the URL + sorted name/value pairs, base64."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
