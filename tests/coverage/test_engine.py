"""Reminders while a request is pending, and team broadcasts where the first to accept wins."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor, Factory
from tests.coverage.conftest import Crew
from tests.coverage.helpers import act, made, on_call, shift
from tests.notifications.conftest import SmtpHandler
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock
from tocsin.engine.worker import Worker


def mails(smtp: SmtpHandler) -> list[tuple[str, str]]:
    got = [(m.rcpt_tos[0], str(m.message["Subject"])) for m in smtp.messages]
    smtp.messages.clear()
    return got


def after(clock: FrozenClock, worker: Worker, **delta: float) -> None:
    clock.advance(timedelta(**delta))
    worker.run_until_idle()


def test_reminders_24_hours_before_and_at_the_start(client: TestClient, crew: Crew, clock: FrozenClock,
                                                    worker: Worker, smtp_server: SmtpHandler) -> None:
    made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T09:00", "03-04T12:00"))  # in 48 hours
    worker.run_until_idle()
    assert mails(smtp_server) == [(crew.bob.email, "Can you cover for Alice?")]
    after(clock, worker, hours=24, seconds=-1)
    assert mails(smtp_server) == []
    after(clock, worker, seconds=1)  # 24 hours before the first shift
    assert mails(smtp_server) == [(crew.bob.email, "Reminder: can you cover for Alice?")]
    after(clock, worker, hours=24)  # the shift starts with nobody having answered
    assert mails(smtp_server) == [(crew.alice.email, "Your shift has started: it is still yours")]
    after(clock, worker, days=3)
    assert mails(smtp_server) == []


def test_a_late_request_is_reminded_halfway_and_answered_ones_never(
    client: TestClient, crew: Crew, clock: FrozenClock, worker: Worker, smtp_server: SmtpHandler
) -> None:
    late = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-02T19:00", "03-02T21:00"))  # in 10 h
    answered = made(client, crew.alice, crew.cy, shift(crew.schedule, "03-02T22:00", "03-02T23:00"))
    cancelled = made(client, crew.alice, crew.cy, shift(crew.schedule, "03-03T05:00", "03-03T06:00"))
    worker.run_until_idle()
    mails(smtp_server)
    act(client, crew.cy, answered, "accept")
    act(client, crew.alice, cancelled, "cancel")
    worker.run_until_idle()
    mails(smtp_server)
    after(clock, worker, hours=5)  # halfway to the late one's start
    assert mails(smtp_server) == [(crew.bob.email, "Reminder: can you cover for Alice?")]
    act(client, crew.bob, late, "decline")
    worker.run_until_idle()
    assert mails(smtp_server) == [(crew.alice.email, "Bob declined your coverage request")]
    after(clock, worker, days=1)
    assert mails(smtp_server) == []  # no "still yours" after decline, accept or cancel
    history = client.get(f"/api/coverage-requests/{late['id']}/history", headers=crew.alice.headers).json()
    assert [h["action"] for h in history] == ["CREATED", "REMINDED", "DECLINED"]


def test_broadcast_first_accept_wins_and_everyone_declining_tells_the_sender(
    client: TestClient, crew: Crew, factory: Factory, worker: Worker, smtp_server: SmtpHandler, admin: Actor,
) -> None:
    dee = factory.user(Role.RESPONDER, teams=(crew.team,), name="Dee")
    team = [crew.bob, crew.cy, dee]
    request = made(client, crew.alice, None, shift(crew.schedule, "03-04T12:00", "03-04T14:00"),
                   receiverTeam={"id": crew.team})
    assert request["receiver"] is None and request["receiverTeam"]["id"] == crew.team
    assert [r["user"]["name"] for r in request["recipients"]] == ["Bob", "Cy", "Dee"]  # not the sender
    worker.run_until_idle()
    assert sorted(mails(smtp_server)) == sorted((a.email, "Can you cover for Alice?") for a in team)
    act(client, crew.bob, request, "decline", declineComment="busy")
    assert client.get(f"/api/coverage-requests/{request['id']}", headers=crew.cy.headers).json()["state"] == \
        "PENDING"  # one decline leaves it open for the others
    assert act(client, dee, request, "accept").status_code == 200
    assert problem(act(client, crew.cy, request, "accept"), 409)["detail"] == \
        "someone else accepted this request first"
    seen = client.get(f"/api/coverage-requests/{request['id']}", headers=crew.cy.headers).json()
    assert (seen["state"], seen["actedBy"]["name"]) == ("ACCEPTED", "Dee")
    assert on_call(client, admin, crew.schedule, "03-04T13:00") == "Dee"
    worker.run_until_idle()
    assert mails(smtp_server) == [(crew.alice.email, "Dee will cover for you")]  # no mail for Bob's decline

    nobody = made(client, crew.alice, None, shift(crew.schedule, "03-06T12:00", "03-06T14:00"),
                  receiverTeam={"id": crew.team})
    worker.run_until_idle()
    mails(smtp_server)
    for person in team:
        assert act(client, person, nobody, "decline").status_code == 200
    assert client.get(f"/api/coverage-requests/{nobody['id']}", headers=crew.alice.headers).json()["state"] == \
        "DECLINED"
    worker.run_until_idle()
    assert mails(smtp_server) == [(crew.alice.email, "Everyone you asked declined your coverage request")]


def test_two_receivers_accepting_at_once_one_wins(client: TestClient, crew: Crew, factory: Factory,
                                                  admin: Actor) -> None:
    request = made(client, crew.alice, None, shift(crew.schedule, "03-04T12:00", "03-04T14:00"),
                   receiverTeam={"id": crew.team})
    racers = [crew.bob, crew.cy]
    answers: dict[int, Any] = {}
    start = threading.Barrier(len(racers))

    def race(actor: Actor) -> None:
        start.wait()
        answers[actor.id] = act(client, actor, request, "accept")

    threads = [threading.Thread(target=race, args=(a,)) for a in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409], [r.text for r in answers.values()]
    winner = next(a for a in racers if answers[a.id].status_code == 200)
    assert on_call(client, admin, crew.schedule, "03-04T13:00") == winner.name
    overrides = client.get(f"/api/schedules/{crew.schedule['id']}/overrides", headers=admin.headers).json()
    assert [o["user"]["name"] for o in overrides] == [winner.name]


def test_accepting_moves_the_receivers_shift_reminder(client: TestClient, crew: Crew, clock: FrozenClock,
                                                      worker: Worker, smtp_server: SmtpHandler) -> None:
    assert client.put("/api/users/me/shift-reminder", headers=crew.bob.headers,
                      json={"minutesBefore": 30}).status_code == 200
    after(clock, worker, hours=23, minutes=30)  # Tuesday 08:30: Bob's own shift starts in 30 minutes
    assert mails(smtp_server) == [(crew.bob.email, "On call in 30 min: Primary")]
    after(clock, worker, hours=2)  # Bob's next reminder now waits for Thursday
    request = made(client, crew.alice, crew.bob, shift(crew.schedule, "03-04T12:00", "03-04T14:00"))
    act(client, crew.bob, request, "accept")
    worker.run_until_idle()
    mails(smtp_server)
    after(clock, worker, hours=25)  # Wednesday 11:30
    assert mails(smtp_server) == [(crew.bob.email, "On call in 30 min: Primary")]


def test_a_request_for_a_running_shift_brings_no_reminders(client: TestClient, crew: Crew, clock: FrozenClock,
                                                           worker: Worker, smtp_server: SmtpHandler) -> None:
    clock.advance(timedelta(hours=2))  # Monday 11:00, in Alice's shift
    made(client, crew.alice, crew.bob, shift(crew.schedule, "03-02T09:00", "03-02T15:00"))
    worker.run_until_idle()
    assert mails(smtp_server) == [(crew.bob.email, "Can you cover for Alice?")]
    after(clock, worker, hours=5)
    assert mails(smtp_server) == []
