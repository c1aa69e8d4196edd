"""GoAlert's generic API: ``summary``, ``details``, ``action``, ``dedup`` and ``meta`` from the query string,
a form body or a JSON body (the body wins over the query, field by field; JSON names in any case).

``action=close`` resolves, anything else raises. The key is ``dedup``, or GoAlert's own rule without it:
``auto:1:`` and the SHA-512 of the summary (and ``"\\n" + details`` when there are details), so that the
same text lands on the same alert as it did in GoAlert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import text

FIELDS = ("summary", "details", "action", "dedup")
FORM_TYPE = "application/x-www-form-urlencoded"


def _meta_pairs(pairs: list[tuple[str, str]]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for name, value in pairs:
        if name == "meta" and "=" in value:
            key, _, val = value.partition("=")
            meta[key] = val
    return meta


def _from_pairs(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    fields = {name: value for name, value in pairs if name in FIELDS}
    return fields, _meta_pairs(pairs)


def _from_json(request: InboundRequest) -> tuple[dict[str, str], dict[str, str]]:
    body = {str(k).lower(): v for k, v in request.json_object().items()}
    fields: dict[str, str] = {}
    for name in FIELDS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise BadPayload(f"'{name}' must be text", field=name)
        if value is not None:
            fields[name] = value
    meta = body.get("meta")
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise BadPayload("'meta' must be an object of text values", field="meta")
    return fields, {str(k): v for k, v in (meta or {}).items()}


def _body_fields(request: InboundRequest) -> tuple[dict[str, str], dict[str, str]]:
    if request.content_type == FORM_TYPE:
        return _from_pairs(request.form_pairs())
    if request.content_type == "application/json" or request.text().lstrip().startswith("{"):
        return _from_json(request)
    return {}, {}


def dedup_key(summary: str, details: str) -> str:
    text_ = f"{summary}\n{details}" if details else summary
    return "auto:1:" + hashlib.sha512(text_.encode()).hexdigest()


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    query_fields, query_meta = _from_pairs(request.query_pairs())
    body_fields, body_meta = _body_fields(request)
    fields = {**query_fields, **body_fields}
    summary = " ".join((fields.get("summary") or "").split())
    if not summary:
        raise BadPayload("summary is required (query, form or JSON field 'summary')", field="summary")
    details = fields.get("details") or ""
    key = (fields.get("dedup") or "").strip() or dedup_key(summary, details)
    closing = (fields.get("action") or "").strip().lower() == "close"
    return Parsed(events=[Event(
        event_type=EventType.RESOLVE if closing else EventType.ALERT,
        alert_key=key,
        summary=summary,
        details=text(details),
        labels={**query_meta, **body_meta},
        origin="goalert",
    )])


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#2b3a67"/>'
    '<path d="M12 4a6 6 0 0 0-6 6v4l-2 3h16l-2-3v-4a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0z" fill="#fff"/></svg>'
)

INTEGRATION = Integration(
    type="GOALERT",
    name="GoAlert generic API",
    parse=parse,
    category="compatibility",
    logo_svg=LOGO,
    setup_steps=(
        "Whatever posted to GoAlert's /api/v2/generic/incoming?token=… now posts the same parameters to {url}.",
        "summary (required), details, dedup, action=close and meta=key=value work as query parameters, a form "
        "body or a JSON body; leftover token or key parameters are ignored (the URL authenticates).",
        "Without dedup, identical summary and details land on the same alert, as in GoAlert.",
    ),
)
