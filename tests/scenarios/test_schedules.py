"""Schedules with the engine: schedule targets page whoever is on call then; shift reminders."""

from __future__ import annotations

from datetime import timedelta

from tests.notifications.push_service import Browser
from tests.scenarios.harness import Person, Received, Scenario
from tests.schedules.helpers import iso


def rota(s: Scenario, people: list[Person], start_in: timedelta = timedelta(0)) -> int:
    body = {"name": "Rota", "timezone": "UTC", "teams": [{"id": s.team}],
            "layers": [{"start": iso(s.clock.now() + start_in), "users": [{"id": p.id} for p in people]}]}
    return int(s.ok(s.client.post("/api/schedules", headers=s.admin.headers, json=body))["id"])


def schedule_policy(s: Scenario, *levels: tuple[int, str, int]) -> int:
    body = {"name": "Via schedule", "teams": [{"id": s.team}],
            "levels": [{"escalationTimeout": timeout, "targets": [{"type": kind, "id": target}]}
                       for timeout, kind, target in levels]}
    return int(s.ok(s.client.post("/api/escalation-policies", headers=s.admin.headers, json=body))["id"])


def test_a_schedule_target_pages_whoever_is_on_call_at_the_moment_of_escalation(scenario: Scenario) -> None:
    s = scenario
    rita, bob, cy = s.person("Rita"), s.person("Bob"), s.person("Cy")
    schedule = rota(s, [rita])
    key = s.source(schedule_policy(s, (5, "SCHEDULE", schedule)))
    first = s.alert(key, "disk")
    assert s.now() == [rita.at("EMAIL", "ALERT", first)]

    # An override made a second before the next alert: the override's user is paged, not Rita.
    body = {"user": {"id": bob.id}, "start": iso(s.clock.now()), "end": iso(s.clock.now() + timedelta(hours=1))}
    s.ok(s.client.post(f"/api/schedules/{schedule}/overrides", headers=s.admin.headers, json=body))
    s.clock.advance(timedelta(seconds=1))
    second = s.alert(key, "cpu")
    assert s.now() == [bob.at("EMAIL", "ALERT", second)]

    # Level 2 is resolved when it is reached, not when the alert opened.
    key2 = s.source(schedule_policy(s, (10, "USER", cy.id), (10, "SCHEDULE", schedule)))
    third = s.alert(key2, "net")
    assert s.now() == [cy.at("EMAIL", "ALERT", third)]
    s.clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
    body = {"user": {"id": cy.id}, "start": iso(s.clock.now()), "end": iso(s.clock.now() + timedelta(hours=1))}
    s.ok(s.client.post(f"/api/schedules/{schedule}/overrides", headers=s.admin.headers, json=body))
    assert s.after(1 / 60) == [cy.at("EMAIL", "ALERT", third)]
    assert "Escalated to level 2: Cy" in s.log(third)


def test_shift_reminders_come_by_push_else_email_and_stop_when_turned_off(scenario: Scenario) -> None:
    s = scenario
    rita, bob = s.person("Rita", channels=()), s.person("Bob", channels=())
    phone = Browser("https://push.example/rita-phone", "unused").subscription()
    s.ok(s.client.post("/api/users/me/push-subscriptions", headers=rita.headers, json=phone))
    for person in (rita, bob):
        s.ok(s.client.put("/api/users/me/shift-reminder", headers=person.headers, json={"minutesBefore": 30}))
    rota(s, [rita, bob], start_in=timedelta(days=1))  # Rita from tomorrow 09:00, Bob the day after
    assert s.after(23 * 60) == []  # 08:00 tomorrow
    got = s.after(30)
    assert got == [Received("PUSH", "https://push.example/rita-phone", "REMINDER", None)]
    assert s.devices.history[-1].subject == "On call in 30 min: Rota"
    assert s.after(24 * 60 - 1) == []
    assert s.after(1) == [Received("EMAIL", bob.actor.email, "REMINDER", None)]  # no push: account address
    assert "starts Wed 04 Mar 09:00" in s.devices.history[-1].text
    s.ok(s.client.put("/api/users/me/shift-reminder", headers=rita.headers, json={"minutesBefore": None}))
    assert s.ok(s.client.get("/api/users/me/shift-reminder", headers=rita.headers)) == {"minutesBefore": None}
    assert s.after(24 * 60) == []  # Rita's next shift: she turned reminders off
    assert s.after(24 * 60) == [Received("EMAIL", bob.actor.email, "REMINDER", None)]


def test_a_reminder_is_dropped_when_the_shift_is_taken_over(scenario: Scenario) -> None:
    s = scenario
    rita, bob = s.person("Rita", channels=("EMAIL",)), s.person("Bob", channels=())
    s.ok(s.client.put("/api/users/me/shift-reminder", headers=rita.headers, json={"minutesBefore": 60}))
    schedule = rota(s, [rita], start_in=timedelta(hours=3))
    start = s.clock.now() + timedelta(hours=3)
    body = {"user": {"id": bob.id}, "start": iso(start), "end": iso(start + timedelta(days=1))}
    s.ok(s.client.post(f"/api/schedules/{schedule}/overrides", headers=s.admin.headers, json=body))
    assert s.after(3 * 60) == []  # Bob has the day; Rita's next shift starts the day after
    assert s.after(23 * 60) == [rita.at("EMAIL", "REMINDER", None)]
