"""Icinga 2: NotificationCommands that post the notification's runtime macros form-encoded with curl.

The form keys carry the Nagios-compatible names (NOTIFICATIONTYPE, HOSTNAME, SERVICEDESC, ...), so the mapping is
``tocsin.integrations.host_service``'s: alert key ``HOSTNAME!SERVICEDESC`` (Icinga's own full service name,
``$service.name$``) or ``HOSTNAME``; PROBLEM → ALERT, RECOVERY → RESOLVE, ACKNOWLEDGEMENT → ACCEPT, CUSTOM → test,
DOWNTIME* and FLAPPING* → no event. Priority: CRITICAL, DOWN → HIGH; WARNING, UNKNOWN → LOW. The summary shows the
service's display name (SERVICEDISPLAYNAME) when it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.integrations.base import InboundRequest, Integration, Parsed
from tocsin.integrations.host_service import Extras, field_text, form_fields, parse_notification

VENDOR = "Icinga 2"
COMMON = (("NOTIFICATIONTYPE", "notification.type"), ("LONGDATETIME", "icinga.long_date_time"),
          ("HOSTNAME", "host.name"), ("HOSTALIAS", "host.display_name"), ("HOSTADDRESS", "address"),
          ("HOSTSTATE", "host.state"))
SERVICE_FIELDS = (*COMMON, ("SERVICEDESC", "service.name"), ("SERVICEDISPLAYNAME", "service.display_name"),
                  ("SERVICESTATE", "service.state"), ("SERVICEOUTPUT", "service.output"),
                  ("NOTIFICATIONAUTHOR", "notification.author"), ("NOTIFICATIONCOMMENT", "notification.comment"))
HOST_FIELDS = (*COMMON, ("HOSTOUTPUT", "host.output"), ("NOTIFICATIONAUTHOR", "notification.author"),
               ("NOTIFICATIONCOMMENT", "notification.comment"))


def command(name: str, fields: tuple[tuple[str, str], ...]) -> str:
    posted = ", ".join(f'"--data-urlencode", "{key}=${macro}$"' for key, macro in fields)
    return (f'object NotificationCommand "{name}" {{ command = [ "/usr/bin/curl", "-fsS", "--max-time", "10", '
            f'{posted}, "$user.pager$" ] }}')


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    fields = form_fields(request, VENDOR)
    extras = Extras(custom_details={
        name: value for name in ("HOSTALIAS", "HOSTADDRESS", "LONGDATETIME")
        if (value := field_text(fields, name)) is not None
    })
    return parse_notification(
        fields, vendor=VENDOR, origin="icinga2", is_service=field_text(fields, "SERVICEDESC") is not None,
        service_display_field="SERVICEDISPLAYNAME", extras=extras,
    )


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="currentColor">'
    '<circle cx="12" cy="5" r="3"/><path d="M10 10h4v12h-4z"/></svg>'
)

INTEGRATION = Integration(
    type="ICINGA2",
    name="Icinga 2",
    parse=parse,
    setup_steps=(
        'Add a user: object User "tocsin" { display_name = "tocsin"; pager = "{url}" }',
        "Add the service command (one line): " + command("tocsin-service-notification", SERVICE_FIELDS),
        "Add the host command (one line): " + command("tocsin-host-notification", HOST_FIELDS),
        'Apply them: apply Notification "tocsin" to Service { command = "tocsin-service-notification"; '
        'users = [ "tocsin" ]; types = [ Problem, Acknowledgement, Recovery, Custom ]; '
        'states = [ OK, Warning, Critical, Unknown ]; assign where true } and the same to Host with '
        'command = "tocsin-host-notification" and states = [ Up, Down ].',
        "Validate and reload Icinga 2 (icinga2 daemon -C), then send a custom notification from Icinga Web: tocsin "
        "records it as a test without paging anyone.",
    ),
    logo_svg=LOGO,
    category="monitoring",
)
