"""An alert source's integrationSettings: checked by its integration type, secrets never answered back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tocsin.errors import Problem
from tocsin.integrations import registry
from tocsin.integrations.base import no_settings
from tocsin.integrations.email_intake.options import validate_email_settings

# What a secret setting reads as in answers; sending it back on update keeps the stored secret.
MASK = "********"
BUILTIN_TYPES = frozenset({"API", "EMAIL", "HEARTBEAT"})


def known_types() -> set[str]:
    return set(BUILTIN_TYPES) | set(registry.integrations())


def validated(integration_type: str, settings: Any, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings as the type's integration cleans them (400 when they are wrong). Secrets sent back
    masked keep their previous value, so a client may PUT back what it read."""
    if not isinstance(settings, Mapping):
        raise Problem(400, "integrationSettings must be an object", field="integrationSettings")
    integration = registry.get(integration_type)
    if integration is None:
        # Types without an inbound adapter: API takes no settings, EMAIL its intake options.
        if integration_type == "EMAIL":
            return validate_email_settings(settings)
        return no_settings(settings) if integration_type == "API" else dict(settings)
    restored = dict(settings)
    for name in integration.secret_settings:
        if restored.get(name) == MASK:
            if previous is None or name not in previous:
                raise Problem(400, f"integrationSettings.{name}: send the secret itself, not {MASK}",
                              field=f"integrationSettings.{name}")
            restored[name] = previous[name]
    return integration.validate_settings(restored)


def public(integration_type: str, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings as answered to clients: secret values replaced by the mask."""
    shown = dict(settings or {})
    integration = registry.get(integration_type)
    for name in integration.secret_settings if integration is not None else ():
        if shown.get(name):
            shown[name] = MASK
    return shown
