"""Splunk Enterprise / Splunk Cloud: the stock "Webhook" alert action.

The body holds ``sid``, ``search_name``, ``app``, ``owner``, ``results_link`` and ``result`` (the first result
row, all values strings). The action cannot add headers: the integration key in the URL is the only secret.

- Every request is one firing of a saved search → ALERT. Splunk sends no recovery, acknowledge or test
  request: resolve in tocsin (or with the alert source's auto-resolution).
- Dedup key: ``<app>:<search_name>``, so repeated firings of one saved search (and "for each result" rows)
  fold into the open alert; ``sid`` (unique per search run) when ``search_name`` is null (ad-hoc runs).
- Priority: HIGH (the payload has no severity; send low-urgency searches to an alert source whose priority
  rule is LOW).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import details, fit_key, links, text

ORIGIN = "splunk"
LABEL_FIELDS = ("host", "source", "sourcetype", "index")
MAX_FIELDS = 50


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    body = request.json_object()
    sid = text(body.get("sid"))
    if sid is None:
        raise BadPayload("not a Splunk webhook alert action body: 'sid' is missing", field="sid")
    result = body.get("result", {})
    if result is not None and not isinstance(result, dict):
        raise BadPayload("Splunk webhook body: 'result' must be an object", field="result")
    result = result or {}
    search_name = text(body.get("search_name"))
    app = text(body.get("app")) or "search"
    return Parsed(events=[Event(
        event_type=EventType.ALERT,
        alert_key=fit_key(f"{app}:{search_name}" if search_name else sid),
        summary=search_name or f"Splunk alert {sid}",
        details=_details(result),
        priority=Priority.HIGH,
        links=links((body.get("results_link"), "Splunk results")),
        labels={k: v for k in LABEL_FIELDS if (v := text(result.get(k)))},
        custom_details={
            **{k: v for k in ("sid", "app", "owner") if (v := text(body.get(k)))},
            "result": _visible_fields(result),
        },
        origin=ORIGIN,
        client="Splunk",
        client_url=text(body.get("results_link")),
    )])


def _visible_fields(result: Mapping[str, Any]) -> dict[str, Any]:
    # Splunk's internal fields (_cd, _si, _kv, _serial, …) say nothing to a responder; _raw and _time do.
    fields = {k: v for k, v in result.items() if not k.startswith("_") or k in ("_raw", "_time")}
    return dict(list(fields.items())[:MAX_FIELDS])


def _details(result: Mapping[str, Any]) -> str | None:
    fields = _visible_fields(result)
    raw = text(fields.pop("_raw", None))
    lines = [f"{k}: {v if isinstance(v, str) else repr(v)}" for k, v in fields.items()]
    return details(raw, "\n".join(lines))


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2.5"><path d="M6 5l12 7-12 7"/></svg>'
)

INTEGRATION = Integration(
    type="SPLUNK",
    name="Splunk",
    parse=parse,
    logo_svg=LOGO,
    category="log management",
    setup_steps=(
        "Splunk Enterprise 9.0+ only posts to allowed URLs: as admin, add a regular expression matching {url} to "
        "the webhook allow list ($SPLUNK_HOME/etc/system/local/alert_actions.conf, stanza [webhook], a line "
        "'allowlist.tocsin = ^https://…'; Splunk Cloud: ask for it through the Admin Config Service).",
        "Open the saved search or alert → Edit Alert → Add Actions → Webhook, URL: {url}, and save.",
        "Each firing opens or adds to the alert for that saved search (HIGH). Splunk sends no recovery: resolve "
        "in tocsin or set auto-resolution on this alert source.",
    ),
)
