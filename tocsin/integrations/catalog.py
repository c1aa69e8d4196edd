"""The integration catalog users pick from: every type, where its tool sends to, and how to set it up.

Most types take HTTP requests at a URL holding the alert source's integration key. Three built-in types
do not go through an adapter: API (the Events APIs), EMAIL (mail to ``<key>@<TOCSIN_EMAIL_DOMAIN>``) and
HEARTBEAT (pings at a monitor's own URL); their entries are defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.integrations import registry

KEY_PLACEHOLDER = "{integrationKey}"
PING_KEY_PLACEHOLDER = "{pingKey}"
# Setup steps write "{url}" where the entry's URL (or address) goes.
URL_PLACEHOLDER = "{url}"
HEARTBEAT_PATH = "/api/heartbeats/"
# What the picker groups types by; every integration's category is one of these.
CATEGORIES = ("generic", "monitoring", "cloud", "error tracking", "log management", "incident management",
              "compatibility")


@dataclass(frozen=True)
class CatalogEntry:
    type: str
    name: str
    category: str
    logo_svg: str | None
    url: str  # what the tool sends to, with the placeholder where the key goes; an address for EMAIL
    setup_steps: tuple[str, ...]
    key_placeholder: str = KEY_PLACEHOLDER


_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' \
        'stroke-width="2">{}</svg>'

API_ENTRY = CatalogEntry(
    type="API",
    name="tocsin Events API (ilert format) and PagerDuty Events API v2",
    category="generic",
    logo_svg=_ICON.format('<path d="M8 4H6v16h2M16 4h2v16h-2M10 12h4"/>'),
    url="/api/events/" + KEY_PLACEHOLDER,
    setup_steps=(
        "POST ilert-format events (eventType, summary, alertKey, …) to {url}.",
        "PagerDuty Events API v2 clients: send to /v2/enqueue with the integration key as routing_key.",
    ),
)

EMAIL_STEPS = (
    "Mail sent to {url} becomes an alert: the subject is its summary, the text (or HTML) part its details.",
    "In the tool's notification settings add {url} as a recipient, or forward its alert mail there with a mail "
    "rule. The address is shown when the alert source is created or its key rotated (integrationEmail).",
    "Each mail opens its own alert by default. To fold follow-ups into one alert set integrationSettings.mode to "
    "ONE_ALERT_PER_SUBJECT (or alertKeyPattern), and to resolve with the tool's recovery mail set "
    "resolvePattern, e.g. 'RECOVERY|resolved'.",
    "Send a test mail: it opens an alert like any other (set the source IN_MAINTENANCE first to page nobody).",
    "Your administrator points the mail domain's MX record (or a relay) at tocsin's intake (TOCSIN_SMTPD_PORT).",
)

HEARTBEAT_STEPS = (
    "Create a heartbeat monitor on this alert source: POST /api/heartbeats with name, interval (e.g. PT1H), "
    "gracePeriod and alertSource (this source's id). Its answer gives the monitor's ping URL, {url}.",
    "Ping that URL whenever the job succeeds, e.g. at the end of a cron job: "
    "'0 * * * * /usr/local/bin/backup.sh && curl -fsS -m 10 --retry 3 {url} > /dev/null'.",
    "GET, POST and HEAD all count as a ping. With no ping for interval + grace an alert opens; the next ping "
    "resolves it.",
)


def email_entry(email_domain: str) -> CatalogEntry:
    return CatalogEntry(
        type="EMAIL",
        name="Email",
        category="generic",
        logo_svg=_ICON.format('<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>'),
        url=f"{KEY_PLACEHOLDER}@{email_domain}",
        setup_steps=EMAIL_STEPS,
    )


HEARTBEAT_ENTRY = CatalogEntry(
    type="HEARTBEAT",
    name="Heartbeat (cron jobs and scheduled tasks)",
    category="generic",
    logo_svg=_ICON.format('<path d="M2 12h5l2-5 4 10 2-5h7"/>'),
    url=HEARTBEAT_PATH + PING_KEY_PLACEHOLDER,
    setup_steps=HEARTBEAT_STEPS,
    key_placeholder=PING_KEY_PLACEHOLDER,
)


def _with_base(entry: CatalogEntry, base_url: str) -> CatalogEntry:
    url = entry.url if entry.type == "EMAIL" else base_url + entry.url
    steps = tuple(step.replace(URL_PLACEHOLDER, url) for step in entry.setup_steps)
    return CatalogEntry(entry.type, entry.name, entry.category, entry.logo_svg, url, steps, entry.key_placeholder)


def catalog(base_url: str, email_domain: str) -> list[CatalogEntry]:
    """Every type, the built-in ones first, then the tools by name; URLs and steps filled in."""
    builtins = [API_ENTRY, email_entry(email_domain), HEARTBEAT_ENTRY]
    tools = sorted((CatalogEntry(i.type, i.name, i.category, i.logo_svg, i.url_path, i.setup_steps)
                    for i in registry.integrations().values()), key=lambda e: e.name.lower())
    return [_with_base(entry, base_url) for entry in [*builtins, *tools]]


def entry(integration_type: str, base_url: str, email_domain: str) -> CatalogEntry | None:
    """One type's catalog entry, URL and steps filled in; None for an unknown type."""
    return next((e for e in catalog(base_url, email_domain) if e.type == integration_type), None)


def integration_url(integration_type: str, base_url: str, key: str) -> str | None:
    """Where a tool sends to for a source of this type, key filled in; None for types that take no HTTP at the
    source's key (EMAIL takes mail, HEARTBEAT pings each monitor's own URL)."""
    integration = registry.get(integration_type)
    if integration is not None:
        path = integration.url_path
    elif integration_type == API_ENTRY.type:
        path = API_ENTRY.url
    else:
        return None
    return base_url + path.replace(KEY_PLACEHOLDER, key)


def integration_email(integration_type: str, email_domain: str, key: str) -> str | None:
    """The address an EMAIL source receives mail at; None for other types."""
    return f"{key}@{email_domain}" if integration_type == "EMAIL" else None
