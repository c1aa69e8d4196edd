"""Every vendor fixture through its adapter: the events it gives (type, key, summary, priority), or that it
is a test notification, or the 4xx it is refused with."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integrations.helpers import (
    GRAFANA_SECRET,
    SENTRY_SECRET,
    Case,
    FixtureFetcher,
    as_expected,
    cases,
    generic_mapping,
)
from tocsin.errors import Problem
from tocsin.integrations import registry

TYPES = {"alertmanager": "PROMETHEUS", "grafana": "GRAFANA", "grafana-oncall": "GRAFANA_ONCALL",
         "pagerduty-v1": "PAGERDUTY_V1", "goalert": "GOALERT", "generic-json": "GENERIC_JSON", "sentry": "SENTRY",
         "aws-cloudwatch": "AWS_CLOUDWATCH"}
TESTS = {"grafana/test.json", "grafana/legacy-test.json", "aws-cloudwatch/subscription_confirmation.json",
         "aws-cloudwatch/unsubscribe_confirmation.json", "sentry/event_alert_test_notification.json",
         "sentry/event_alert_test_unnamed_rule.json"}
REFUSED = {"pagerduty-v1/invalid_event_type.json": 400, "aws-cloudwatch/alarm_tampered.json": 403}
ALL = [c for vendor in TYPES for c in cases(vendor)]


def settings_for(case: Case) -> dict[str, Any]:
    if case.vendor == "sentry":
        return {"clientSecret": SENTRY_SECRET}
    if case.vendor == "grafana" and "X-Grafana-Alerting-Signature" in case.headers:
        return {"secret": GRAFANA_SECRET}
    if case.vendor == "generic-json":
        return generic_mapping(case.name)
    return {}


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_fixture_gives_the_expected_events(case: Case) -> None:
    integration = registry.get(TYPES[case.vendor])
    assert integration is not None
    settings = integration.validate_settings(settings_for(case))
    request = case.request(FixtureFetcher.for_sns())
    if case.id in REFUSED:
        with pytest.raises(Problem) as refused:
            integration.parse(request, settings)
        assert refused.value.status == REFUSED[case.id] and refused.value.detail
        return
    parsed = integration.parse(request, settings)
    assert parsed.test is (case.id in TESTS)
    got = [as_expected(e) for e in parsed.events]
    expected = [dict(e) for e in case.expected]
    for want, have in zip(expected, got, strict=False):
        if want["alertKey"] is None:  # generated: PagerDuty's shape, 32 hex
            assert re.fullmatch(r"[0-9a-f]{32}", have["alertKey"] or ""), have
            want["alertKey"] = have["alertKey"]
    assert got == expected


def test_every_vendor_has_fixtures_for_alert_and_recovery() -> None:
    for vendor in TYPES:
        kinds = {e["eventType"] for c in cases(vendor) for e in c.expected}
        assert {"ALERT", "RESOLVE"} <= kinds, vendor


def test_sns_fetches_only_the_certificate_for_notifications_and_confirms_subscriptions() -> None:
    integration = registry.get("AWS_CLOUDWATCH")
    assert integration is not None
    by_name = {c.name: c for c in cases("aws-cloudwatch")}
    fetcher = FixtureFetcher.for_sns()
    integration.parse(by_name["alarm.json"].request(fetcher), {})
    assert all(url.endswith(".pem") for url in fetcher.fetched)
    integration.parse(by_name["subscription_confirmation.json"].request(fetcher), {})
    assert fetcher.fetched[-1].startswith("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&")
