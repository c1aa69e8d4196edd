"""Nagios Core: notification commands that post the notification macros form-encoded with curl.

Keys, states and priorities follow ``tocsin.integrations.host_service``: the alert key is
``HOSTNAME!SERVICEDESC`` (service) or ``HOSTNAME`` (host); PROBLEM → ALERT, RECOVERY → RESOLVE,
ACKNOWLEDGEMENT → ACCEPT (author and comment in the details), CUSTOM → test; FLAPPING* and DOWNTIME* → no event.
Priority: CRITICAL, DOWN, UNREACHABLE → HIGH; WARNING, UNKNOWN → LOW. A notification is a service's when it
carries a non-empty SERVICEDESC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.integrations.base import InboundRequest, Integration, Parsed
from tocsin.integrations.host_service import Extras, field_text, form_fields, parse_notification

VENDOR = "Nagios"
SERVICE_FIELDS = ("NOTIFICATIONTYPE", "HOSTNAME", "HOSTALIAS", "HOSTADDRESS", "HOSTSTATE", "SERVICEDESC",
                  "SERVICESTATE", "SERVICEOUTPUT", "LONGSERVICEOUTPUT", "SERVICEPROBLEMID", "LASTSERVICEPROBLEMID",
                  "NOTIFICATIONAUTHOR", "NOTIFICATIONCOMMENT", "LONGDATETIME")
HOST_FIELDS = ("NOTIFICATIONTYPE", "HOSTNAME", "HOSTALIAS", "HOSTADDRESS", "HOSTSTATE", "HOSTOUTPUT", "LONGHOSTOUTPUT",
               "HOSTPROBLEMID", "LASTHOSTPROBLEMID", "NOTIFICATIONAUTHOR", "NOTIFICATIONCOMMENT", "LONGDATETIME")


def curl_command(fields: tuple[str, ...]) -> str:
    posted = " ".join(f'--data-urlencode "{name}=${name}$"' for name in fields)
    return f'/usr/bin/curl -fsS --max-time 10 {posted} "$CONTACTPAGER$"'


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    fields = form_fields(request, VENDOR)
    is_service = field_text(fields, "SERVICEDESC") is not None
    extras = Extras(custom_details={
        name: value for name in ("HOSTALIAS", "HOSTADDRESS", "LONGDATETIME", "SERVICEPROBLEMID", "HOSTPROBLEMID")
        if (value := field_text(fields, name)) is not None
    })
    return parse_notification(fields, vendor=VENDOR, origin="nagios", is_service=is_service, extras=extras)


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<path d="M4 3h3l10 12V3h3v18h-3L7 9v12H4z"/></svg>'
)

INTEGRATION = Integration(
    type="NAGIOS",
    name="Nagios",
    parse=parse,
    setup_steps=(
        "In your Nagios object configuration define a contact 'tocsin' with 'pager {url}', "
        "'service_notification_options w,u,c,r', 'host_notification_options d,u,r', "
        "'service_notification_commands notify-service-by-tocsin' and "
        "'host_notification_commands notify-host-by-tocsin', "
        "and add it to the contact groups whose problems should page.",
        "Define the command 'notify-service-by-tocsin' with this command_line (one line): "
        + curl_command(SERVICE_FIELDS),
        "Define the command 'notify-host-by-tocsin' with this command_line (one line): " + curl_command(HOST_FIELDS),
        "Reload Nagios, then use 'Send custom service notification' on a service: tocsin records it as a test "
        "without paging anyone.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
