"""The table tests every adapter of this batch shares: each fixture gives its expected events (every body has
an expectation), and the catalog entry is complete."""

from __future__ import annotations

import pytest

from tests.integrations.vendors._support_batch1 import Case, cases, check_case, check_catalog_entry
from tocsin.integrations import registry
from tocsin.integrations.base import Integration

VENDORS = ["azure_monitor", "checkmk", "datadog", "dynatrace", "google_cloud_monitoring", "icinga2", "kibana",
           "nagios", "newrelic", "rollbar", "zabbix"]


def integration(vendor: str) -> Integration:
    found = registry.get(vendor.upper())
    assert found is not None, f"{vendor.upper()} is not registered"
    return found


@pytest.mark.parametrize("case", [c for vendor in VENDORS for c in cases(vendor)])
def test_fixture(case: Case) -> None:
    check_case(integration(case.vendor), case)


@pytest.mark.parametrize("vendor", VENDORS)
def test_catalog_entry(vendor: str) -> None:
    check_catalog_entry(integration(vendor))
