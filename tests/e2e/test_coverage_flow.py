"""Two responders on their phones: A asks B to cover part of a shift; B sees the badge, opens the request
and declines with a comment, which A then reads; A asks again, B accepts, and the schedule shows B for
that time."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import START, Factory
from tests.e2e.conftest import Api, Phone, Team
from tocsin.auth.models import Role


def ask_for_cover(phone: Phone, message: str) -> None:
    """From My shifts: the Monday shift, only 18:00-23:00 (Berlin), to the suggested colleague."""
    page = phone.page
    phone.goto("/shifts")
    page.locator(".shift-item").first.get_by_role("link", name=re.compile("^Ask for cover")).tap()
    expect(page.get_by_role("heading", name="Ask for cover")).to_be_visible()
    shift = page.locator(".pick").first
    expect(shift.get_by_role("checkbox")).to_be_checked()
    shift.locator("summary").tap()
    shift.get_by_label("From").fill("2026-03-02T18:00")
    shift.get_by_label("Until").fill("2026-03-02T23:00")
    page.get_by_role("button", name=re.compile("^Next")).tap()
    expect(page.get_by_role("radio", name=re.compile("^Bob"))).to_be_checked()  # suggested: free then
    expect(page.locator("#tz-box")).to_contain_text("11:00 \u2013 16:00")  # on Bob's clock, in Chicago
    page.get_by_label("Message (optional)").fill(message)
    page.get_by_role("button", name="Send request").tap()
    expect(page.locator("#cov-state")).to_have_text("Pending")


def test_coverage_request_declined_with_a_comment_then_accepted(
    phone: Phone, other_phone: Phone, api: Api, factory: Factory, crew: Team,
) -> None:
    bob = factory.user(Role.RESPONDER, teams=(crew.id,), name="Bob", timezone="America/Chicago")
    api.call("POST", "/api/schedules", crew.admin, json={
        "name": "Platform primary", "timezone": "UTC", "teams": [{"id": crew.id}],
        "layers": [{"name": "Daily", "start": START.isoformat(),
                    "users": [{"id": crew.responder.id}, {"id": bob.id}]}]})
    alice, b = phone, other_phone
    alice.login(crew.responder)
    ask_for_cover(alice, "Parents' evening at school, back by 23:00")
    alice.screenshot("10-coverage-sent")

    b.login(bob)
    menu = b.page.get_by_role("button", name=re.compile(r"^Menu \(1 waiting for you\)"))
    expect(menu.locator(".dot")).to_be_visible()  # the red badge on the menu button
    b.screenshot("11-coverage-badge", full_page=False)
    menu.tap()
    item = b.page.locator("#menu").get_by_role("link", name=re.compile("^Coverage requests"))
    expect(item.locator(".count-danger")).to_have_text("1")
    b.screenshot("12-coverage-menu", full_page=False)
    item.tap()
    b.page.get_by_role("link", name=re.compile("From Crew|From Rita")).tap()
    expect(b.page.get_by_role("heading", level=1)).to_contain_text("Rita Responder asks you to cover 1 shift")
    expect(b.page.get_by_text("Parents' evening at school")).to_be_visible()
    b.screenshot("13-coverage-received")
    b.page.get_by_text("Decline…").tap()
    b.page.get_by_label(re.compile("^Comment for Rita")).fill("Sorry, I am on a flight that evening")
    b.page.get_by_role("button", name="Decline request").tap()
    expect(b.page.locator("#cov-state")).to_have_text("Declined")  # still on the request, its new state
    expect(b.page).to_have_url(re.compile(r"/coverage-requests/\d+$"))
    expect(b.page.locator(".menu-button .dot")).to_have_count(0)  # nothing waiting any more

    alice.page.reload()
    expect(alice.page.locator("#cov-state")).to_have_text("Declined")
    expect(alice.page.locator("#decline-comment")).to_have_text("Sorry, I am on a flight that evening")
    alice.screenshot("14-coverage-declined")

    ask_for_cover(alice, "Could you after all? Only until 23:00")
    b.goto("/coverage-requests")
    b.page.locator(".cov-row", has_text="Pending").tap()
    b.page.get_by_role("button", name="Accept").tap()
    expect(b.page.locator("#cov-state")).to_have_text("Accepted")
    expect(b.page.get_by_text("You took this shift")).to_be_visible()
    b.screenshot("15-coverage-accepted")

    b.page.get_by_role("link", name="Platform primary").tap()  # the schedule, that week
    monday = b.page.locator(".day-list-row", has_text="Today")
    expect(monday).to_contain_text("11:00 \u2013 16:00 Bob (you)")  # Chicago time
    b.screenshot("16-schedule-after-cover")
    alice.goto(b.page.url.removeprefix(b.base_url))
    expect(alice.page.locator(".day-list-row", has_text="Today")).to_contain_text("18:00 \u2013 23:00 Bob")
