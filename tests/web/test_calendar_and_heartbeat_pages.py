"""Profile: calendar links and the shift reminder; heartbeat monitors: create (ping URL once), pause, resume."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor, Factory, Source
from tests.web.conftest import Rota
from tests.web.helpers import post, web_login
from tocsin.auth.models import Role
from tocsin.db import Database
from tocsin.engine.models import Job
from tocsin.schedules.reminders import REMIND


def test_a_calendar_link_is_shown_once_works_and_can_be_revoked(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    assert client.post("/profile/calendar-feeds", data={"schedule": ""}, follow_redirects=False).status_code == 403
    made = post(client, "/profile/calendar-feeds", {"schedule": str(rota.schedule["id"])})
    assert made.status_code == 200
    url = re.search(r'id="feed-url">(http://testserver/api/schedules/\d+/ical\?token=[\w-]+)<', made.text)
    assert url, made.text
    calendar = client.get(url[1].removeprefix("http://testserver"))
    assert calendar.status_code == 200 and "SUMMARY:Alice on call" in calendar.text
    page = client.get("/profile").text
    assert "Platform primary" in page and url[1] not in page  # listed, but the secret is not shown again
    [feed] = client.get("/api/calendar-feeds", headers=rota.alice.headers).json()
    mine = post(client, "/profile/calendar-feeds", {"schedule": ""})
    assert "/api/users/me/shifts/ical?token=" in mine.text
    assert post(client, f"/profile/calendar-feeds/{feed['id']}/revoke").status_code == 303
    assert client.get(url[1].removeprefix("http://testserver")).status_code == 404


def test_calendar_links_of_others_and_their_schedules_are_refused(client: TestClient, rota: Rota,
                                                                  outsider: Actor) -> None:
    feed = client.post("/api/calendar-feeds", headers=rota.alice.headers, json={}).json()
    web_login(client, outsider)
    assert post(client, f"/profile/calendar-feeds/{feed['id']}/revoke").status_code == 404
    assert post(client, "/profile/calendar-feeds", {"schedule": str(rota.schedule["id"])}).status_code == 404
    assert len(client.get("/api/calendar-feeds", headers=rota.alice.headers).json()) == 1


def test_the_shift_reminder_is_saved_and_planned(client: TestClient, db: Database, rota: Rota) -> None:
    web_login(client, rota.bob)
    assert client.post("/profile/shift-reminder", data={"minutes_before": "30"},
                       follow_redirects=False).status_code == 403
    assert post(client, "/profile/shift-reminder", {"minutes_before": "30"}).status_code == 303
    assert client.get("/api/users/me/shift-reminder", headers=rota.bob.headers).json() == {"minutesBefore": 30}
    with db.session() as session:
        [job] = session.scalars(select(Job).where(Job.kind == REMIND)).all()
        assert job.run_at.isoformat() == "2026-03-03T08:30:00+00:00"  # 30 min before Bob's first shift
    assert '<option value="30" selected>30 minutes before</option>' in client.get("/profile").text
    bad = post(client, "/profile/shift-reminder", {"minutes_before": "0"})
    assert bad.status_code == 400 and "Remind me" in bad.text
    assert post(client, "/profile/shift-reminder", {"minutes_before": ""}).status_code == 303
    assert client.get("/api/users/me/shift-reminder", headers=rota.bob.headers).json() == {"minutesBefore": None}


def test_heartbeat_monitor_create_pause_resume_and_delete(client: TestClient, factory: Factory, team: int,
                                                          source: Source) -> None:
    user = factory.user(Role.USER, teams=(team,))
    web_login(client, user)
    form = {"name": "Nightly backup", "every": "1", "unit": "days", "grace": "30", "source": str(source.id)}
    assert client.post("/heartbeats", data=form, follow_redirects=False).status_code == 403
    short = post(client, "/heartbeats", {**form, "every": "10", "unit": "minutes", "grace": "x"}, page="/heartbeats")
    assert short.status_code == 400 and "Grace: give a whole number" in short.text
    made = post(client, "/heartbeats", form, page="/heartbeats")
    assert made.status_code == 200
    url = re.search(r'id="ping-url">http://testserver(/api/heartbeats/[0-9a-f]{32})<', made.text)
    assert url, made.text
    assert client.post(url[1]).status_code == 202
    [monitor] = client.get("/api/heartbeats", headers=user.headers).json()
    assert (monitor["intervalSeconds"], monitor["gracePeriodSeconds"], monitor["state"]) == (86400, 1800, "UP")
    listed = client.get("/heartbeats").text
    assert "Nightly backup" in listed and url[1] not in listed
    assert post(client, f"/heartbeats/{monitor['id']}/pause", page="/heartbeats").status_code == 303
    assert client.get(f"/api/heartbeats/{monitor['id']}", headers=user.headers).json()["status"] == "PAUSED"
    assert post(client, f"/heartbeats/{monitor['id']}/resume", page="/heartbeats").status_code == 303
    assert client.get(f"/api/heartbeats/{monitor['id']}", headers=user.headers).json()["status"] == "ACTIVE"
    assert post(client, f"/heartbeats/{monitor['id']}/delete", page="/heartbeats").status_code == 303
    assert client.get("/api/heartbeats", headers=user.headers).json() == []


def test_another_teams_user_cannot_touch_a_heartbeat(client: TestClient, factory: Factory, team: int,
                                                     source: Source, outsider: Actor, responder: Actor) -> None:
    owner = factory.user(Role.USER, teams=(team,))
    monitor = client.post("/api/heartbeats", headers=owner.headers,
                          json={"name": "Backup", "interval": "PT1H", "alertSource": {"id": source.id}}).json()
    web_login(client, outsider)
    assert "Backup" not in client.get("/heartbeats").text
    for action in ("pause", "resume", "delete"):
        assert post(client, f"/heartbeats/{monitor['id']}/{action}", page="/heartbeats").status_code == 404
    refused = post(client, "/heartbeats", {"name": "Mine", "every": "1", "unit": "hours", "grace": "1",
                                           "source": str(source.id)}, page="/heartbeats")
    assert refused.status_code == 400 and "does not exist" in refused.text
    other = TestClient(client.app)
    web_login(other, responder)  # sees the team's monitor, may not change it
    assert "Backup" in other.get("/heartbeats").text and 'id="new-heartbeat"' not in other.get("/heartbeats").text
    assert post(other, f"/heartbeats/{monitor['id']}/pause", page="/heartbeats").status_code == 403
    assert client.get(f"/api/heartbeats/{monitor['id']}", headers=owner.headers).json()["status"] == "ACTIVE"
