"""Every main page at phone size: axe-core finds no serious or critical problem, in light and dark mode,
and a screenshot of each is saved under tests/e2e/screenshots/ to look at."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import Factory
from tests.e2e.conftest import Api, Phone, Team


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
        for name, path in pages:
            phone.goto(path)
            expect(phone.page.locator("main h1").first).to_be_visible()
            phone.check_accessible(f"{name} ({scheme})")
            phone.screenshot(f"page-{name}-{scheme}")
        phone.goto("/alerts")
        phone.page.get_by_role("button", name="Menu").tap()
        expect(phone.page.locator("#menu")).to_be_visible()
        phone.check_accessible(f"menu ({scheme})")
        phone.screenshot(f"page-menu-{scheme}", full_page=False)
