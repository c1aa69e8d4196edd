"""A responder on a phone: log in, see a new alert arrive by itself, accept it from the list, resolve it
from its page; the same with the keyboard only; and the last list when the network is gone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import Factory
from tests.e2e.conftest import Api, Phone, Team


def test_new_alert_appears_is_accepted_in_one_tap_and_resolved_on_its_page(
    phone: Phone, api: Api, factory: Factory, crew: Team,
) -> None:
    source = factory.source(teams=(crew.id,))
    phone.goto("/alerts")
    expect(phone.page).to_have_url(re.compile(r"/login$"))
    phone.screenshot("01-login")
    phone.login(crew.responder)
    expect(phone.page.get_by_text("All quiet")).to_be_visible()
    phone.screenshot("02-alerts-empty")

    api.event(source.key, summary="Checkout API error rate above 5%", alertKey="checkout-5xx", priority="HIGH",
              details="5xx rate 7.3% over 5 minutes on checkout-api (eu-west-1).")
    row = phone.page.locator("li.row", has_text="Checkout API error rate above 5%")
    expect(row).to_be_visible(timeout=8_000)  # live refresh, no reload
    [alert] = api.call("GET", "/api/alerts", crew.responder)["items"]
    phone.screenshot("03-alerts-new")

    row.get_by_role("button", name=re.compile("^Accept")).tap()  # the one tap
    expect(row.locator(".chip")).to_have_text("Accepted")
    accepted = api.call("GET", f"/api/alerts/{alert['id']}", crew.responder)
    assert accepted["state"] == "ACCEPTED"
    assert accepted["acceptedBy"]["id"] == crew.responder.id

    row.locator("a.row-main").tap()
    expect(phone.page).to_have_url(re.compile(rf"/alerts/{alert['id']}$"))
    expect(phone.page.get_by_role("heading", level=1)).to_have_text("Checkout API error rate above 5%")
    expect(phone.page.get_by_text("Alert accepted by Rita Responder")).to_be_visible()
    phone.screenshot("04-alert-detail")

    phone.page.get_by_role("button", name="Resolve").tap()
    expect(phone.page.locator(".detail-head .chip")).to_have_text("Resolved")
    expect(phone.page.get_by_text("Alert resolved by Rita Responder")).to_be_visible()
    assert api.call("GET", f"/api/alerts/{alert['id']}", crew.responder)["state"] == "RESOLVED"


def test_the_alert_list_works_with_the_keyboard_alone(phone: Phone, api: Api, factory: Factory, crew: Team) -> None:
    source = factory.source(teams=(crew.id,))
    api.event(source.key, summary="Queue backlog growing", alertKey="queue")
    phone.login(crew.responder)
    page = phone.page
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    focused: list[str] = []
    for _ in range(15):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
        if page.evaluate("document.activeElement.id").endswith("-accept"):
            break
    else:
        raise AssertionError(f"Tab never reached the Accept button; focus went through {focused}")
    assert any("Queue backlog growing" in text for text in focused), focused  # the row's link came first
    page.keyboard.press("Enter")
    expect(page.locator("li.row .chip")).to_have_text("Accepted")
    [alert] = api.call("GET", "/api/alerts", crew.responder)["items"]
    assert alert["state"] == "ACCEPTED"
    # Focus stays in the row, on the next action (Resolve), not lost to the top of the page.
    expect(page.locator("li.row button", has_text="Resolve")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('li.row') !== null")


def test_offline_the_last_alert_list_is_shown_with_a_banner(
    phone: Phone, api: Api, factory: Factory, crew: Team,
) -> None:
    source = factory.source(teams=(crew.id,))
    api.event(source.key, summary="Payment provider timeouts", alertKey="psp")
    phone.login(crew.responder)
    page = phone.page
    page.wait_for_function("navigator.serviceWorker.controller !== null || "
                           "navigator.serviceWorker.ready.then(() => true)")
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now controlled by the service worker, which keeps this list
    expect(page.locator("li.row", has_text="Payment provider timeouts")).to_be_visible()
    expect(page.locator("#offline-banner")).to_be_hidden()

    phone.context.set_offline(True)
    page.reload()
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#offline-banner")).to_contain_text("Offline")
    expect(page.locator("li.row", has_text="Payment provider timeouts")).to_be_visible()
    phone.check_accessible("offline list")
    phone.screenshot("05-alerts-offline")
    phone.context.set_offline(False)
