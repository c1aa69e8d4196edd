"""Checkmk: a notification script that posts the whole notification context as one flat JSON object.

The context is Checkmk's NOTIFY_* variables without the prefix, so the mapping is
``tocsin.integrations.host_service``'s: WHAT says host or service; alert key ``HOSTNAME!SERVICEDESC`` or
``HOSTNAME`` (never the problem id: Checkmk keeps it on the recovery, Nagios does not); PROBLEM → ALERT,
RECOVERY → RESOLVE, ACKNOWLEDGEMENT → ACCEPT, CUSTOM → test, FLAPPING*, DOWNTIME*, ALERTHANDLER → no event.
Priority: CRITICAL, DOWN, UNREACHABLE → HIGH; WARNING, UNKNOWN → LOW.

Links point into Checkmk when the context names its URL: the script's second parameter (PARAMETER_2, the site
URL such as https://cmk.example.com/mysite) or Checkmk's own URL-prefix parameters. Labels come from the host's
``key:value`` tags and its HOSTLABEL_*/SERVICELABEL_* variables. The context also carries the tocsin URL with
the integration key (PARAMETER_1): it is never copied into the event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.integrations.base import BadPayload, InboundRequest, Integration, Parsed
from tocsin.integrations.host_service import Extras, field_text, parse_notification
from tocsin.integrations.vendor_values import labels, links, split_tags, tag_pairs

VENDOR = "Checkmk"
WHATS = {"HOST": False, "SERVICE": True}
KEPT = ("HOSTALIAS", "HOSTADDRESS", "OMD_SITE", "MONITORING_HOST", "LONGDATETIME", "HOSTGROUPNAMES",
        "SERVICECHECKCOMMAND", "SERVICEPERFDATA", "HOSTPROBLEMID", "SERVICEPROBLEMID", "NOTIFICATIONAUTHORNAME")
SCRIPT = """#!/usr/bin/env python3
# tocsin
import json, os, sys, urllib.error, urllib.request
context = {k[7:]: v for k, v in os.environ.items() if k.startswith("NOTIFY_")}
request = urllib.request.Request(context["PARAMETER_1"], json.dumps(context).encode(),
                                 {"Content-Type": "application/json"})
try:
    urllib.request.urlopen(request, timeout=10)
except urllib.error.HTTPError as error:
    sys.exit(1 if error.code == 429 or error.code >= 500 else 2)
except OSError:
    sys.exit(1)
"""


def base_url(context: Mapping[str, Any]) -> str | None:
    """Checkmk's site URL as its own plugins find it, or the script's second parameter."""
    prefix = field_text(context, "PARAMETER_URL_PREFIX") or field_text(context, "PARAMETER_URL_PREFIX_MANUAL")
    automatic = field_text(context, "PARAMETER_URL_PREFIX_AUTOMATIC")
    host, site = field_text(context, "MONITORING_HOST"), field_text(context, "OMD_SITE")
    if prefix is None and automatic in ("http", "https") and host and site:
        prefix = f"{automatic}://{host}/{site}"
    prefix = prefix or field_text(context, "PARAMETER_2")
    if prefix is None:
        return None
    return re.sub(r"/check_mk/?", "", prefix, count=1).rstrip("/")


def object_links(context: Mapping[str, Any], is_service: bool) -> list[dict[str, str]]:
    base = base_url(context)
    if base is None:
        return []
    service_url, host_url = field_text(context, "SERVICEURL"), field_text(context, "HOSTURL")
    return links(
        (base + service_url if is_service and service_url else None, "Service in Checkmk"),
        (base + host_url if host_url else None, "Host in Checkmk"),
    )


def context_labels(context: Mapping[str, Any]) -> dict[str, str]:
    pairs: list[tuple[str, Any]] = list(tag_pairs(split_tags(context.get("HOSTTAGS"), " ")))
    for name, value in context.items():
        for prefix in ("HOSTLABEL_", "SERVICELABEL_"):
            if name.startswith(prefix):
                pairs.append((name.removeprefix(prefix), value))
    return labels(pairs)


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    context = request.json_object()
    what = (field_text(context, "WHAT") or "").upper()
    if what not in WHATS:
        raise BadPayload("not a Checkmk notification context: WHAT must be HOST or SERVICE", field="WHAT")
    is_service = WHATS[what]
    extras = Extras(
        links=object_links(context, is_service),
        labels=context_labels(context),
        custom_details={name: value for name in KEPT if (value := field_text(context, name)) is not None},
    )
    return parse_notification(context, vendor=VENDOR, origin="checkmk", is_service=is_service, extras=extras)


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="3"><path d="M4 12l5 5L20 6"/></svg>'
)

INTEGRATION = Integration(
    type="CHECKMK",
    name="Checkmk",
    parse=parse,
    setup_steps=(
        "As the site user, save this script as ~/local/share/check_mk/notifications/tocsin and make it executable "
        "(chmod +x): " + SCRIPT,
        "Setup → Users: add a user 'tocsin' (no login needed) that is a contact of the hosts and services that should "
        "page.",
        "Setup → Notifications: add a rule with the notification method 'tocsin', parameter 1 = {url} and, for links "
        "back to Checkmk, parameter 2 = your site's URL (e.g. https://cmk.example.com/mysite); contact: the user "
        "'tocsin'. Leave bulk notifications off.",
        "Try it with the command 'Custom notification' on a service: tocsin records it as a test without paging "
        "anyone.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
