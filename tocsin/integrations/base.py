"""What an inbound adapter is: one vendor's request (headers + body) in, zero or more events out.

Adapters are pure: they read the request and the alert source's integration settings and return
events; the HTTP layer does authentication, ingest, and the answer. Adding a vendor means one module
in ``tocsin.integrations.vendors`` defining ``INTEGRATION``, its fixtures, and its tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

from tocsin.alerts.events import Event
from tocsin.errors import Problem

MAX_JSON_DEPTH = 64


class BadPayload(Problem):
    """The body is not what this vendor sends; the message says what was wrong (400, nothing stored)."""

    def __init__(self, detail: str, *, field: str | None = None, status: int = 400) -> None:
        super().__init__(status, detail, slug="bad-payload", field=field)


class FetchError(Exception):
    """An https GET that failed (refused, timed out, not 2xx, too big); the message says which."""


class Fetcher(Protocol):
    """How an adapter reaches the network, when its vendor needs it (AWS SNS certificates and
    subscription confirmations). The server's default uses httpx; tests hand in their own."""

    def get(self, url: str, *, cache: bool = False) -> bytes:
        """The body of a GET of ``url`` (2xx only, redirects not followed); ``cache`` keeps it per URL."""
        ...


class NoNetwork:
    """The fetcher of a request that was given none: every fetch fails."""

    def get(self, url: str, *, cache: bool = False) -> bytes:
        raise FetchError("this server does not fetch URLs for inbound requests")


@dataclass(frozen=True)
class InboundRequest:
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    query: Mapping[str, str] = field(default_factory=dict)
    method: str = "POST"
    # The query string as sent (repeated parameters kept), for adapters that read every value.
    raw_query: str = ""
    fetcher: Fetcher = field(default_factory=NoNetwork)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query_pairs(self) -> list[tuple[str, str]]:
        """Every query parameter in order, repeated ones included."""
        if not self.raw_query:
            return list(self.query.items())
        return parse_qsl(self.raw_query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def text(self) -> str:
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadPayload(f"body is not valid UTF-8: {exc}", field="body") from None

    def json(self) -> Any:
        """The body parsed as JSON, whatever the content type (many tools send text/plain)."""
        text = self.text()
        if not text.strip():
            raise BadPayload("body is empty; expected a JSON document", field="body")
        try:
            data = json.loads(text)
        except RecursionError:
            raise BadPayload("body is nested too deeply", field="body") from None
        except ValueError as exc:
            raise BadPayload(f"body is not valid JSON: {exc}", field="body") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise BadPayload(f"body is nested deeper than {MAX_JSON_DEPTH} levels", field="body")
        return data

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise BadPayload(f"body must be a JSON object, not {type(data).__name__}", field="body")
        return data

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body (last value wins)."""
        return dict(self.form_pairs())

    def form_pairs(self) -> list[tuple[str, str]]:
        """An application/x-www-form-urlencoded body, every pair in order (repeated names kept)."""
        return parse_qsl(self.text(), keep_blank_values=True)


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        nxt: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                nxt.extend(item.values())
            elif isinstance(item, list):
                nxt.extend(item)
        level = nxt
    return depth - 1


@dataclass(frozen=True)
class Parsed:
    """What one request means. ``test`` marks a vendor's set-up/test notification: recorded, never a page."""

    events: list[Event] = field(default_factory=list)
    test: bool = False
    # An answer body some vendors expect instead of ours (e.g. a verification echo); None for the default.
    response: dict[str, Any] | None = None
    # What a test or set-up request was ("Grafana contact point test"), recorded for the user to see.
    note: str | None = None
    # The success status the vendor's clients expect (PagerDuty v1 clients want 200).
    status_code: int = 202


# parse(request, settings) -> Parsed. ``settings`` is the alert source's integrationSettings.
ParseFn = Callable[[InboundRequest, Mapping[str, Any]], Parsed]
# validate(settings) -> cleaned settings, raising Problem(400) for bad ones.
ValidateFn = Callable[[Mapping[str, Any]], dict[str, Any]]


def no_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    if settings:
        raise Problem(400, "this integration type takes no integrationSettings", field="integrationSettings")
    return {}


@dataclass(frozen=True)
class Integration:
    type: str  # the alert source's integrationType, e.g. "PROMETHEUS"
    name: str  # shown to users, e.g. "Prometheus Alertmanager"
    parse: ParseFn
    setup_steps: tuple[str, ...]  # what to do in the vendor's UI; "{url}" is replaced by the source's URL
    logo_svg: str | None = None
    validate_settings: ValidateFn = no_settings
    category: str = "monitoring"
    # integrationSettings keys holding secrets: never answered back (masked), kept when the mask is sent back.
    secret_settings: tuple[str, ...] = ()
    # Where the tool sends to, below the base URL; "{integrationKey}" is replaced by the source's key.
    url_path: str = "/api/integrations/{integrationKey}"
