"""Every inbound integration, found by importing each module of ``tocsin.integrations.vendors``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from tocsin.integrations import vendors
from tocsin.integrations.base import Integration


@cache
def integrations() -> dict[str, Integration]:
    found: dict[str, Integration] = {}
    for module_info in sorted(pkgutil.iter_modules(vendors.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{vendors.__name__}.{module_info.name}")
        integration = getattr(module, "INTEGRATION", None)
        if not isinstance(integration, Integration):
            continue
        if integration.type in found:
            raise RuntimeError(f"integration type {integration.type} is defined twice")
        found[integration.type] = integration
    return found


def get(integration_type: str) -> Integration | None:
    return integrations().get(integration_type)
