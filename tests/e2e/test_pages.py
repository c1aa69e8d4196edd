"""Every main page at phone size: axe-core finds no serious or critical problem, in light and dark mode,
and a screenshot of each is saved under tests/e2e/screenshots/ to look at."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import START, Factory
from tests.e2e.conftest import Api, Phone, Team
from tocsin.auth.models import Role


def visit_each(phone: Phone, pages: list[tuple[str, str]], scheme: str) -> None:
    """Open each page: its heading shows, axe finds nothing serious, and a screenshot is saved."""
    for name, path in pages:
        phone.goto(path)
        expect(phone.page.locator("main h1").first).to_be_visible()
        phone.check_accessible(f"{name} ({scheme})")
        phone.screenshot(f"page-{name}-{scheme}")

def test_main_pages_are_accessible_at_phone_size_in_light_and_dark(
    phone: Phone, api: Api, factory: Factory, crew: Team,
) -> None:
    policy = api.call("POST", "/api/escalation-policies", crew.admin, json={
        "name": "Platform on-call", "teams": [{"id": crew.id}], "repeating": True, "repeatTimes": 1,
        "levels": [{"escalationTimeout": 15, "targets": [{"type": "USER", "id": crew.responder.id}]},
                   {"escalationTimeout": 30, "targets": [{"type": "TEAM", "id": crew.id}]}]})
    source = factory.source(teams=(crew.id,), escalation_policy_id=policy["id"], name="Prometheus production")
    api.event(source.key, summary="Disk 95% full on db-1 /var/lib/postgresql", alertKey="db1-disk", priority="HIGH",
              details="Filesystem /var/lib/postgresql on db-1 is 95% full (12 GB left).",
              links=[{"href": "https://grafana.example.com/d/disk", "text": "Grafana: disk usage"}],
              labels={"host": "db-1", "env": "production", "team": "platform"})
    api.event(source.key, summary="Certificate for api.example.com expires in 6 days", alertKey="cert",
              priority="LOW")
    api.event(source.key, summary="Checkout latency p99 above 2s", alertKey="latency", priority="HIGH")
    alerts = api.call("GET", "/api/alerts", crew.admin)["items"]
    api.call("PUT", f"/api/alerts/{alerts[1]['id']}/accept", crew.responder)
    api.call("POST", f"/api/alerts/{alerts[2]['id']}/comments", crew.responder,
             json={"content": "Looking at it: old WAL files, cleaning up."})
    disk = alerts[2]["id"]

    pages = [
        ("alerts", "/alerts?show=all"),
        ("alert-detail", f"/alerts/{disk}"),
        ("policies", "/escalation-policies"),
        ("policy", f"/escalation-policies/{policy['id']}"),
        ("policy-edit", f"/escalation-policies/{policy['id']}/edit"),
        ("sources", "/alert-sources"),
        ("source-new", "/alert-sources/new"),
        ("source-edit", f"/alert-sources/{source.id}"),
        ("profile", "/profile"),
        ("users", "/admin/users"),
        ("teams", "/admin/teams"),
        ("team", f"/admin/teams/{crew.id}"),
        ("api-keys", "/api-keys"),
    ]
    phone.goto("/login")
    phone.check_accessible("login")
    phone.login(crew.admin)
    for scheme in ("light", "dark"):
        phone.page.emulate_media(color_scheme=scheme)
        visit_each(phone, pages, scheme)
        phone.goto("/alerts")
        phone.page.get_by_role("button", name="Menu").tap()
        expect(phone.page.locator("#menu")).to_be_visible()
        phone.check_accessible(f"menu ({scheme})")
        phone.screenshot(f"page-menu-{scheme}", full_page=False)


def test_on_call_pages_are_accessible_at_phone_size_in_light_and_dark(
    phone: Phone, api: Api, factory: Factory, crew: Team,
) -> None:
    rita = crew.responder
    bob = factory.user(Role.RESPONDER, teams=(crew.id,), name="Bob Builder", timezone="America/Chicago")
    cy = factory.user(Role.RESPONDER, teams=(crew.id,), name="Cy Young", timezone="Europe/London")
    schedule = api.call("POST", "/api/schedules", crew.admin, json={
        "name": "Platform primary", "timezone": "Europe/Berlin", "teams": [{"id": crew.id}],
        "layers": [
            {"name": "Daily", "start": START.isoformat(), "users": [{"id": u.id} for u in (rita, bob, cy)]},
            {"name": "Weekend days", "start": START.isoformat(), "users": [{"id": cy.id}],
             "restrictions": [{"weekdays": ["SAT", "SUN"], "start": "08:00", "end": "20:00"}]},
        ]})
    api.call("POST", f"/api/schedules/{schedule['id']}/overrides", rita, json={
        "user": {"id": bob.id}, "start": "2026-03-05T12:00:00Z", "end": "2026-03-05T18:00:00Z"})
    api.call("POST", "/api/escalation-policies", crew.admin, json={
        "name": "Platform on-call", "teams": [{"id": crew.id}],
        "levels": [{"escalationTimeout": 10, "targets": [{"type": "SCHEDULE", "id": schedule["id"]}]},
                   {"escalationTimeout": 20, "targets": [{"type": "TEAM", "id": crew.id}]}]})
    received = api.call("POST", "/api/coverage-requests", bob, json={
        "receiver": {"id": rita.id}, "message": "Moving house on Tuesday, could you take the morning?",
        "shifts": [{"schedule": {"id": schedule["id"]}, "start": "2026-03-03T09:00:00Z",
                    "end": "2026-03-03T15:00:00Z"}]})
    api.call("POST", "/api/coverage-requests", rita, json={
        "receiver": {"id": cy.id}, "shifts": [{"schedule": {"id": schedule["id"]}, "start": "2026-03-05T09:00:00Z",
                                                "end": "2026-03-05T12:00:00Z"}]})
    source = factory.source(teams=(crew.id,), name="Backups")
    api.call("POST", "/api/heartbeats", crew.admin, json={
        "name": "Nightly database backup", "interval": "P1D", "alertSource": {"id": source.id}})
    api.call("POST", "/api/calendar-feeds", rita, json={})
    api.call("PUT", "/api/users/me/shift-reminder", rita, json={"minutesBefore": 30})

    pages = [
        ("on-call", "/on-call"),
        ("shifts", "/shifts"),
        ("schedule", f"/schedules/{schedule['id']}"),
        ("coverage", "/coverage-requests"),
        ("coverage-sent", "/coverage-requests?box=sent&all=true"),
        ("coverage-detail", f"/coverage-requests/{received['id']}"),
        ("coverage-new", "/coverage-requests/new"),
        ("heartbeats", "/heartbeats"),
        ("profile-rita", "/profile"),
    ]
    phone.login(rita)
    for scheme in ("light", "dark"):
        phone.page.emulate_media(color_scheme=scheme)
        visit_each(phone, pages, scheme)
        phone.goto("/coverage-requests/new")
        phone.page.locator(".pick input[type=checkbox]").first.check()
        phone.page.get_by_role("button", name=re.compile("^Next")).tap()
        expect(phone.page.locator("#tz-box")).to_be_visible()
        phone.check_accessible(f"coverage-new step 2 ({scheme})")
        phone.screenshot(f"page-coverage-new-2-{scheme}")
