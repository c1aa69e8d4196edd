"""The table tests every adapter of this batch shares: each fixture gives its expected events, every fixture
has an expectation, the catalog entry is complete, and garbage is refused."""

from __future__ import annotations

import pytest

from tests.integrations.vendors._support_batch2 import (
    assert_case,
    assert_catalog_entry,
    assert_rejects_garbage,
    body_files,
    expected,
)
from tocsin.integrations import registry
from tocsin.integrations.base import Integration

TYPES = {"uptime_kuma": "UPTIME_KUMA", "pingdom": "PINGDOM", "uptimerobot": "UPTIMEROBOT", "site24x7": "SITE24X7",
         "graylog": "GRAYLOG", "healthchecks": "HEALTHCHECKS", "honeybadger": "HONEYBADGER", "netdata": "NETDATA",
         "splunk": "SPLUNK", "statuscake": "STATUSCAKE"}
CASES = [(vendor, name) for vendor in TYPES for name in sorted(expected(vendor))]


def integration(vendor: str) -> Integration:
    found = registry.get(TYPES[vendor])
    assert found is not None, f"{TYPES[vendor]} is not registered"
    return found


@pytest.mark.parametrize("vendor", TYPES)
def test_every_fixture_has_an_expectation(vendor: str) -> None:
    assert body_files(vendor) == sorted(expected(vendor))


@pytest.mark.parametrize(("vendor", "name"), CASES)
def test_fixture(vendor: str, name: str) -> None:
    assert_case(vendor, name, integration(vendor).parse)


@pytest.mark.parametrize("vendor", TYPES)
def test_catalog_entry(vendor: str) -> None:
    assert_catalog_entry(integration(vendor), TYPES[vendor])


@pytest.mark.parametrize("vendor", TYPES)
def test_garbage(vendor: str) -> None:
    assert_rejects_garbage(integration(vendor).parse)
