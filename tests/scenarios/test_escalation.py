"""Escalation stories, told with a frozen clock: who gets which message, and when."""

from __future__ import annotations

from sqlalchemy import delete

from tests.scenarios.harness import Scenario
from tocsin.app import create_app
from tocsin.engine.models import Job
from tocsin.engine.worker import Worker
from tocsin.escalation.engine import TIMEOUT, schedule_reconcile
from tocsin.notifications.models import Channel


def test_two_levels_with_delays(scenario: Scenario) -> None:
    ann = scenario.person("Ann", high=[("EMAIL", 0), ("SMS", 5)])
    ben = scenario.person("Ben", high=[("EMAIL", 0)])
    key = scenario.source(scenario.policy((15, [ann]), (30, [ben])))
    alert = scenario.alert(key)
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    assert scenario.after(4) == []
    assert scenario.after(1) == [ann.at("SMS", "ALERT", alert)]  # Ann's rule: SMS after 5 minutes
    assert scenario.after(9) == []
    assert scenario.after(1) == [ben.at("EMAIL", "ALERT", alert)]  # level 2 at 15 minutes
    assert scenario.after(60) == []  # no further level: nothing more
    log = scenario.log(alert)
    assert "Escalated to level 1: Ann" in log and "Escalated to level 2: Ben" in log
    assert "The escalation policy has no further level; the alert stays pending" in log
    assert "Sent EMAIL notification to Ben" in log


def test_repeat_after_last_level(scenario: Scenario) -> None:
    ann, ben = scenario.person("Ann"), scenario.person("Ben")
    key = scenario.source(scenario.policy((10, [ann]), (10, [ben]), repeating=True, repeatTimes=1))
    alert = scenario.alert(key)
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    assert scenario.after(10) == [ben.at("EMAIL", "ALERT", alert)]
    assert scenario.after(10) == [ann.at("EMAIL", "ALERT", alert)]  # round 2
    assert scenario.after(10) == [ben.at("EMAIL", "ALERT", alert)]
    assert scenario.after(10) == []  # one repeat only
    assert "Escalated to level 1: Ann (repeat 1 of 1)" in scenario.log(alert)


def test_accept_stops_further_pages_and_tells_the_others(scenario: Scenario) -> None:
    ann = scenario.person("Ann", high=[("EMAIL", 0), ("SMS", 5)])
    ben = scenario.person("Ben", high=[("EMAIL", 0)])
    cid = scenario.person("Cid", high=[("EMAIL", 0)])
    key = scenario.source(scenario.policy((10, [ann, ben]), (10, [cid])))
    alert = scenario.alert(key)
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert), ben.at("EMAIL", "ALERT", alert)]
    scenario.after(2)
    scenario.act(ann, alert, "accept")
    # Ben was paged too: he hears it was accepted; Ann, who accepted, does not.
    assert scenario.now() == [ben.at("EMAIL", "UPDATE", alert)]
    assert scenario.after(60) == []  # no SMS for Ann, no level 2 for Cid
    scenario.act(ann, alert, "resolve")
    assert scenario.now() == [ben.at("EMAIL", "UPDATE", alert)]


def test_resolve_before_the_first_delay_sends_nothing(scenario: Scenario) -> None:
    ann = scenario.person("Ann", high=[("SMS", 3)])
    key = scenario.source(scenario.policy((10, [ann])))
    alert = scenario.alert(key)
    assert scenario.after(2) == []
    scenario.act(ann, alert, "resolve")
    assert scenario.after(60) == []


def test_high_and_low_priorities_follow_their_own_rules(scenario: Scenario) -> None:
    ann = scenario.person("Ann", high=[("SMS", 0)], low=[("EMAIL", 0)])
    key = scenario.source(scenario.policy((10, [ann])))
    high = scenario.alert(key, "h", priority="HIGH")
    low = scenario.alert(key, "l", priority="LOW")
    assert sorted(scenario.now(), key=lambda r: r.alert or 0) == [ann.at("SMS", "ALERT", high),
                                                                   ann.at("EMAIL", "ALERT", low)]


def test_empty_level_pages_the_fallback_and_says_so(scenario: Scenario) -> None:
    ann = scenario.person("Ann")
    fay = scenario.person("Fay")
    empty_team = scenario.factory.team("Nobody here")
    policy = scenario.ok(scenario.client.post("/api/escalation-policies", headers=scenario.admin.headers, json={
        "name": "With fallback", "fallbackUser": {"id": fay.id},
        "levels": [{"escalationTimeout": 5, "targets": [{"type": "TEAM", "id": empty_team}]},
                   {"escalationTimeout": 5, "targets": [{"type": "USER", "id": ann.id}]}],
    }))
    alert = scenario.alert(scenario.source(policy["id"]))
    assert scenario.now() == [fay.at("EMAIL", "ALERT", alert)]
    assert "Level 1 had nobody to page; paging fallback Fay" in scenario.log(alert)
    assert scenario.after(5) == [ann.at("EMAIL", "ALERT", alert)]


def test_empty_level_without_fallback_moves_on_at_once(scenario: Scenario) -> None:
    ann = scenario.person("Ann")
    empty_team = scenario.factory.team("Nobody here")
    policy = scenario.ok(scenario.client.post("/api/escalation-policies", headers=scenario.admin.headers, json={
        "name": "Gap", "levels": [{"escalationTimeout": 30, "targets": [{"type": "TEAM", "id": empty_team}]},
                                  {"escalationTimeout": 5, "targets": [{"type": "USER", "id": ann.id}]}],
    }))
    alert = scenario.alert(scenario.source(policy["id"]))
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    assert "Level 1 had nobody to page and the policy has no fallback user" in scenario.log(alert)


def test_throttle_bundles_what_it_holds_back(scenario: Scenario) -> None:
    ann = scenario.person("Ann", high=[("SMS", 0)])
    key = scenario.source(scenario.policy((60, [ann])))
    alerts = [scenario.alert(key, f"k{i}") for i in range(7)]
    got = scenario.now()
    assert got == [ann.at("SMS", "ALERT", a) for a in alerts[:5]]  # at most 5 SMS per 15 minutes
    assert "held back" in scenario.log(alerts[5])[-1]
    assert scenario.after(15) == [ann.at("SMS", "BUNDLE", None)]
    summary = scenario.devices.history[-1].text
    assert summary.startswith("2 more alert(s)")
    assert f"#{alerts[5]} " in summary and f"#{alerts[6]} " in summary


def test_manual_escalation_and_assignment_page_at_once(scenario: Scenario) -> None:
    ann, ben, cid = scenario.person("Ann"), scenario.person("Ben"), scenario.person("Cid")
    key = scenario.source(scenario.policy((30, [ann]), (30, [ben])))
    alert = scenario.alert(key)
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    scenario.act(ann, alert, "escalate")
    assert scenario.now() == [ben.at("EMAIL", "ALERT", alert)]
    assert scenario.after(29) == []  # the level-2 timer restarted with the manual step
    scenario.ok(scenario.client.put(f"/api/alerts/{alert}/assign", headers=ann.headers, json={"userId": cid.id}))
    assert scenario.now() == [cid.at("EMAIL", "ALERT", alert)]


def test_restart_in_the_middle_resumes_on_time(scenario: Scenario) -> None:
    ann, ben = scenario.person("Ann"), scenario.person("Ben")
    key = scenario.source(scenario.policy((20, [ann]), (20, [ben])))
    alert = scenario.alert(key)
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    # A new process: a fresh app and worker on the same database; nothing lived only in memory.
    state = scenario.client.app.state.tocsin  # type: ignore[attr-defined]
    restarted = create_app(state.settings, db=state.db, clock=scenario.clock,
                           senders={c: scenario.devices.sender(c) for c in Channel})
    scenario.worker = Worker(state.db, scenario.clock, restarted.state.tocsin.registry, worker_id="after-restart")
    assert scenario.after(19) == []
    assert scenario.after(1) == [ben.at("EMAIL", "ALERT", alert)]


def test_lost_timer_is_found_by_reconcile_and_run_once(scenario: Scenario) -> None:
    ann, ben = scenario.person("Ann"), scenario.person("Ben")
    key = scenario.source(scenario.policy((10, [ann]), (10, [ben])))
    alert = scenario.alert(key)
    scenario.now()
    db = scenario.client.app.state.tocsin.db  # type: ignore[attr-defined]
    with db.session(write=True) as session:
        session.execute(delete(Job).where(Job.kind == TIMEOUT))  # the timer is gone
        schedule_reconcile(session, scenario.clock)
    assert scenario.after(12) == []  # up to two minutes late, a step is not presumed lost
    assert scenario.after(1) == [ben.at("EMAIL", "ALERT", alert)]
    assert scenario.after(1) == []
    log = scenario.log(alert)
    assert log.count("Escalation step was overdue; running it now") == 1
    assert log.count("Escalated to level 2: Ben") == 1


def test_overdue_step_after_downtime_runs_once(scenario: Scenario) -> None:
    ann, ben = scenario.person("Ann"), scenario.person("Ben")
    key = scenario.source(scenario.policy((10, [ann]), (10, [ben])))
    alert = scenario.alert(key)
    scenario.now()
    # The worker was down for an hour: timers and the reconcile job are all overdue at once.
    assert scenario.after(60) == [ben.at("EMAIL", "ALERT", alert)]
    assert scenario.log(alert).count("Escalated to level 2: Ben") == 1


def test_renotify_pages_the_current_level_again(scenario: Scenario) -> None:
    ann, ben = scenario.person("Ann"), scenario.person("Ben")
    key = scenario.source(scenario.policy((30, [ann]), (30, [ben])))
    alert = scenario.alert(key)
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    scenario.ok(scenario.client.post(f"/api/alerts/{alert}/renotify", headers=ben.headers))
    assert scenario.now() == [ann.at("EMAIL", "ALERT", alert)]
    assert scenario.after(30) == [ben.at("EMAIL", "ALERT", alert)]  # the timer was not moved


def test_a_failing_provider_is_retried_then_reported(scenario: Scenario) -> None:
    ann = scenario.person("Ann")
    scenario.devices.failing.add(ann.addresses["EMAIL"])
    alert = scenario.alert(scenario.source(scenario.policy((60, [ann]))))
    assert scenario.now() == []
    for minutes in (0.1, 0.2, 0.4, 0.7, 1.4, 2.7, 5.4):  # the job engine's backoff: 5 s doubling
        scenario.after(minutes)
    log = scenario.log(alert)
    assert any(line.startswith("Failed to send EMAIL notification to Ann: gave up") for line in log), log


def test_updates_are_not_phoned(scenario: Scenario) -> None:
    ann = scenario.person("Ann", high=[("VOICE", 0), ("SMS", 0)], channels=("VOICE", "SMS"))
    ben = scenario.person("Ben")
    alert = scenario.alert(scenario.source(scenario.policy((10, [ann, ben]))))
    assert len(scenario.now()) == 3
    scenario.act(ben, alert, "accept")
    assert scenario.now() == [ann.at("SMS", "UPDATE", alert)]  # an SMS says so; no second call
