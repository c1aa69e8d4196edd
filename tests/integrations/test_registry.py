"""Every registered integration type comes with fixtures of its vendor's requests and a catalog entry."""

from __future__ import annotations

import json

from tests.integrations.helpers import FIXTURES
from tocsin.integrations import registry
from tocsin.integrations.catalog import catalog, entry

# Fixture folders named other than the type in lower case.
FOLDERS = {"PROMETHEUS": "alertmanager", "AWS_CLOUDWATCH": "aws-cloudwatch", "GRAFANA_ONCALL": "grafana-oncall",
           "PAGERDUTY_V1": "pagerduty-v1", "GENERIC_JSON": "generic-json"}
# The Opsgenie bodies are the Alert API's, written out in tests/integrations/test_opsgenie_api.py.
WITHOUT_FIXTURES = {"OPSGENIE"}


def test_every_adapter_has_fixtures_with_expectations() -> None:
    for integration_type in set(registry.integrations()) - WITHOUT_FIXTURES:
        folder = FIXTURES / FOLDERS.get(integration_type, integration_type.lower())
        expected = json.loads((folder / "expected.json").read_text())
        assert len(expected) >= 2, f"{integration_type}: fewer than two fixture cases"
        assert all((folder / name).exists() for name in expected), integration_type


def test_the_catalog_has_at_least_25_tools_and_the_built_in_types() -> None:
    entries = catalog("https://tocsin.example", "alerts.example")
    types = [entry.type for entry in entries]
    assert len(set(types)) == len(types) == len(registry.integrations()) + 3
    assert len(registry.integrations()) >= 25
    assert {"API", "EMAIL", "HEARTBEAT"} <= set(types)


def test_one_entry_has_its_url_in_its_steps() -> None:
    email = entry("EMAIL", "https://tocsin.example", "alerts.example")
    assert email is not None and email.url == "{integrationKey}@alerts.example"
    assert any(email.url in step for step in email.setup_steps)
    assert entry("NO_SUCH_TYPE", "https://tocsin.example", "alerts.example") is None
