"""The integration catalog users pick from: every type, where its tool sends to, and how to set it up."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.integrations import registry

KEY_PLACEHOLDER = "{integrationKey}"


@dataclass(frozen=True)
class CatalogEntry:
    type: str
    name: str
    category: str
    logo_svg: str | None
    url: str  # with {integrationKey} where the source's key goes
    setup_steps: tuple[str, ...]


# Built-in types that are not inbound adapters (their endpoints live elsewhere).
API_ENTRY = CatalogEntry(
    type="API",
    name="tocsin Events API (ilert format) and PagerDuty Events API v2",
    category="generic",
    logo_svg=None,
    url="/api/events/" + KEY_PLACEHOLDER,
    setup_steps=(
        "POST ilert-format events (eventType, summary, alertKey, …) to {url}.",
        "PagerDuty Events API v2 clients: send to /v2/enqueue with the integration key as routing_key.",
    ),
)


def catalog(base_url: str) -> list[CatalogEntry]:
    entries = [API_ENTRY]
    for integration in registry.integrations().values():
        entries.append(CatalogEntry(integration.type, integration.name, integration.category, integration.logo_svg,
                                    integration.url_path, integration.setup_steps))
    built: list[CatalogEntry] = []
    for entry in sorted(entries, key=lambda e: (e.type != "API", e.name.lower())):
        url = base_url + entry.url
        steps = tuple(step.replace("{url}", url) for step in entry.setup_steps)
        built.append(CatalogEntry(entry.type, entry.name, entry.category, entry.logo_svg, url, steps))
    return built


def integration_url(integration_type: str, base_url: str, key: str) -> str | None:
    """Where a tool sends to for a source of this type, key filled in; None for types that take no HTTP."""
    integration = registry.get(integration_type)
    if integration is not None:
        path = integration.url_path
    elif integration_type == API_ENTRY.type:
        path = API_ENTRY.url
    else:
        return None
    return base_url + path.replace(KEY_PLACEHOLDER, key)
