"""StatusCake: a contact group's "Webhook URL" with request method POST (form-encoded; JSON is read too).

Fields: ``Token``, ``Status`` (Up/Down, casing varies), ``StatusCode`` (0 on a timeout), ``URL``, ``IP``,
``Tags`` (comma separated), ``Name``, ``CheckRate``, sometimes ``ContactGroup``.

- Dedup key: ``Name|URL`` (the body carries no test id; two tests may share a URL). Renaming a test while it
  is down orphans its open alert.
- States: ``Status`` Down → ALERT, Up → RESOLVE (compared case-insensitively). StatusCake has no acknowledge
  and no test notification.
- Priority: HIGH (StatusCake sends no severity).
- Settings: optional ``username`` and ``apiKey`` (or the ``token`` they give); when set, the request's ``Token``
  must be md5(lower-cased username + API key), else 401. Only the token is stored, never the API key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import fit_key, links

ORIGIN = "statuscake"
STATES = {"down": EventType.ALERT, "up": EventType.RESOLVE}
TOKEN = re.compile(r"^[0-9a-f]{32}$")
DETAIL_FIELDS = ("StatusCode", "IP", "CheckRate", "ContactGroup", "URL")


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = _body(request)
    token = settings.get("token")
    if isinstance(token, str) and token:
        sent = (body.get("Token") or "").strip().lower()
        if not sent or not hmac.compare_digest(sent.encode(), token.encode()):
            raise Problem(401, "the StatusCake 'Token' does not match the username and API key set for this alert "
                               "source", slug="bad-token")
    name = body.get("Name", "").strip()
    if not name:
        raise BadPayload("not a StatusCake webhook: 'Name' is missing", field="Name")
    status = body.get("Status", "").strip()
    event_type = STATES.get(status.lower())
    if event_type is None:
        raise BadPayload(f"StatusCake 'Status' must be Up or Down, not {status!r}" if status else
                         "not a StatusCake webhook: 'Status' is missing", field="Status")
    url = body.get("URL", "").strip()
    code = body.get("StatusCode", "").strip()
    outcome = "timeout" if code in ("", "0") else f"HTTP {code}"
    return Parsed(events=[Event(
        event_type=event_type,
        alert_key=fit_key(f"{name}|{url}" if url else name),
        summary=f"{name} is {status.lower()} ({outcome})",
        priority=Priority.HIGH if event_type is EventType.ALERT else None,
        links=links((url, name)),
        labels={tag.strip(): "" for tag in body.get("Tags", "").split(",") if tag.strip()},
        custom_details={k: v for k in DETAIL_FIELDS if (v := body.get(k, "").strip())},
        origin=ORIGIN,
        client="StatusCake",
    )])


def _body(request: InboundRequest) -> dict[str, str]:
    text = request.text()
    if request.content_type == "application/json" or text.lstrip().startswith("{"):
        return {k: str(v) for k, v in request.json_object().items()
                if isinstance(v, str | int | float) and not isinstance(v, bool)}
    if not text.strip():
        raise BadPayload("body is empty; StatusCake posts form fields (Name, Status, URL, …)", field="body")
    return request.form()


def expected_token(username: str, api_key: str) -> str:
    # StatusCake's own scheme: md5 of the lower-cased username followed by the API key (not ours to choose).
    return hashlib.md5((username.lower() + api_key).encode(), usedforsecurity=False).hexdigest()


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - {"username", "apiKey", "token"}
    if unknown:
        raise Problem(400, f"unknown StatusCake setting(s) {sorted(unknown)}; use 'username' and 'apiKey' (or "
                           "'token')", field="integrationSettings")
    username, api_key, token = settings.get("username"), settings.get("apiKey"), settings.get("token")
    if username is None and api_key is None and token is None:
        return {}
    if token is not None:
        if username is not None or api_key is not None:
            raise Problem(400, "give either 'token' or 'username' and 'apiKey', not both",
                          field="integrationSettings")
        if not isinstance(token, str) or not TOKEN.match(token.strip().lower()):
            raise Problem(400, "integrationSettings.token must be StatusCake's 32-character hex token",
                          field="integrationSettings.token")
        return {"token": token.strip().lower()}
    for name, value in (("username", username), ("apiKey", api_key)):
        if not isinstance(value, str) or not value.strip() or len(value) > 256:
            raise Problem(400, f"integrationSettings.{name} is required with the other, as text of at most 256 "
                               "characters", field=f"integrationSettings.{name}")
    assert isinstance(username, str) and isinstance(api_key, str)
    return {"token": expected_token(username.strip(), api_key.strip())}


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2"><path d="M4 14h16v5H4zM6 14V9h12v5M12 9V5"/></svg>'
)

INTEGRATION = Integration(
    type="STATUSCAKE",
    name="StatusCake",
    parse=parse,
    validate_settings=validate,
    # Only the derived token is stored; apiKey is masked too should a client send it back.
    secret_settings=("token", "apiKey"),
    logo_svg=LOGO,
    category="monitoring",
    setup_steps=(
        "In StatusCake open Alerting → Contact Groups → New Contact Group.",
        "Webhook URL: {url}, Webhook Request Method: POST (the GET mode with |URL| replacements is not "
        "supported). Leave 'Enable Repeat Alert' disabled and save.",
        "Add the contact group to each uptime test under 'Who to alert'.",
        "Optional: set integrationSettings.username and integrationSettings.apiKey (Account → API keys); tocsin "
        "keeps only StatusCake's token derived from them and refuses requests whose Token differs.",
        "Down pages (HIGH), Up resolves. The alert is keyed on the test's name and URL: renaming a test while it "
        "is down leaves its alert open.",
    ),
)
