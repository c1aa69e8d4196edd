"""On-call home, my shifts and the schedule page: the same answers as the schedules API, in my zone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Actor
from tests.web.conftest import Rota, on_call
from tests.web.helpers import post, web_login


def test_on_call_home_says_whether_i_am_on_call_and_who_is(client: TestClient, rota: Rota, admin: Actor,
                                                          team: int) -> None:
    client.post("/api/escalation-policies", headers=admin.headers, json={
        "name": "Platform pager", "teams": [{"id": team}],
        "levels": [{"escalationTimeout": 15, "targets": [{"type": "SCHEDULE", "id": rota.schedule["id"]}]}]})
    web_login(client, rota.alice)
    page = client.get("/on-call").text
    assert "You are on call" in page
    assert "until <strong>Tue 3 Mar, 10:00</strong>" in page  # 09:00 UTC in Berlin
    assert "Wed 4 Mar, 10:00 \u2013 Thu 5 Mar, 10:00" in page  # her next shift
    assert "Platform pager" in page and "Alice" in page
    assert f'action="/schedules/{rota.schedule["id"]}/take"' not in page  # she is on call already

    other = TestClient(client.app)
    web_login(other, rota.bob)
    page = other.get("/on-call").text
    assert "You are not on call now" in page
    assert "Tue 3 Mar, 03:00" in page  # Bob's next shift starts 09:00 UTC, in Chicago
    assert f'action="/schedules/{rota.schedule["id"]}/take"' in page


def test_take_on_call_puts_me_on_call_until_the_shift_ends(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.bob)
    path = f"/schedules/{rota.schedule['id']}/take"
    assert client.post(path, follow_redirects=False).status_code == 403  # no CSRF token
    assert on_call(client, rota.bob, rota.schedule) == "Alice"
    taken = post(client, path, page="/on-call")
    assert taken.status_code == 303 and taken.headers["location"] == f"/on-call?taken={rota.schedule['id']}"
    assert on_call(client, rota.bob, rota.schedule) == "Bob"
    page = client.get(taken.headers["location"]).text
    assert "You took on-call" in page and "You are on call" in page
    again = post(client, path, page="/on-call")
    assert again.status_code == 409 and "already on call" in again.text


def test_my_shifts_are_listed_by_day_in_my_zone(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.bob)
    page = client.get("/shifts").text.replace("\xa0", " ")
    tomorrow = page.index('<h2 class="day-h">Tomorrow</h2>')
    assert page.index('<span class="shift-time">03:00 \u2013 Wed 4 Mar, 03:00</span>') > tomorrow  # in Chicago
    assert "Platform primary" in page
    assert page.count('class="list-item shift-item') == 14  # every other day for four weeks
    assert client.get("/shifts?weeks=0").status_code == 400


def test_schedule_week_shows_layers_overrides_and_final_shifts(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    schedule_page = f"/schedules/{rota.schedule['id']}"
    page = client.get(schedule_page).text
    assert "2 \u2013 8 March 2026" in page
    assert "Layer</span> Weekdays" in page and "Final schedule" in page
    assert "Overrides</h3>" not in page  # no override this week yet
    assert 'class="blk who-0 s40 e96 me"' in page  # Alice, Monday from 10:00 Berlin to midnight
    assert client.get(f"{schedule_page}?week=2026-03-09").text.count("9 \u2013 15 March 2026") == 1
    assert client.get(f"{schedule_page}?week=soon").status_code == 400


def test_add_and_remove_an_override_from_the_schedule_page(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    schedule_page = f"/schedules/{rota.schedule['id']}"
    overrides = f"{schedule_page}/overrides"
    form = {"user": str(rota.bob.id), "start": "2026-03-02T18:00", "end": "2026-03-02T22:00"}
    assert client.post(overrides, data=form, follow_redirects=False).status_code == 403  # no CSRF token
    added = post(client, overrides, form, page=schedule_page)
    assert added.status_code == 303 and added.headers["location"].endswith("?week=2026-03-02#overrides")
    [override] = client.get(f"/api/schedules/{rota.schedule['id']}/overrides", headers=rota.alice.headers).json()
    assert (override["start"], override["end"]) == ("2026-03-02T17:00:00Z", "2026-03-02T21:00:00Z")  # Berlin
    page = client.get(schedule_page).text
    assert "Overrides</h3>" in page and "18:00 \u2013 22:00" in page and "set by Alice" in page

    wrong = post(client, overrides, {**form, "end": "2026-03-02T17:00"}, page=schedule_page)
    assert wrong.status_code == 400 and "must end after it starts" in wrong.text
    assert 'value="2026-03-02T17:00"' in wrong.text  # what was typed stays in the form
    garbled = post(client, overrides, {**form, "start": "tonight"}, page=schedule_page)
    assert garbled.status_code == 400 and "From: give a date and time" in garbled.text

    remove = f"{overrides}/{override['id']}/delete"
    assert client.post(remove, follow_redirects=False).status_code == 403
    assert post(client, remove, {"week": "2026-03-02"}, page=schedule_page).status_code == 303
    assert client.get(f"/api/schedules/{rota.schedule['id']}/overrides", headers=rota.alice.headers).json() == []


def test_the_override_picker_offers_only_people_allowed_on_the_schedule(client: TestClient, rota: Rota,
                                                                       outsider: Actor) -> None:
    web_login(client, rota.alice)
    page = client.get(f"/schedules/{rota.schedule['id']}").text
    assert f'<option value="{rota.bob.id}"' in page and f'<option value="{outsider.id}"' not in page
    refused = post(client, f"/schedules/{rota.schedule['id']}/overrides",
                   {"user": str(outsider.id), "start": "2026-03-02T18:00", "end": "2026-03-02T22:00"},
                   page=f"/schedules/{rota.schedule['id']}")
    assert refused.status_code == 400 and "not a member of the schedule" in refused.text


def test_another_teams_user_cannot_see_or_change_the_schedule(client: TestClient, rota: Rota,
                                                              outsider: Actor) -> None:
    created = client.post(f"/api/schedules/{rota.schedule['id']}/overrides", headers=rota.alice.headers,
                          json={"user": {"id": rota.bob.id}, "start": "2026-03-02T18:00:00Z",
                                "end": "2026-03-02T20:00:00Z"}).json()
    web_login(client, outsider)
    schedule_page = f"/schedules/{rota.schedule['id']}"
    assert client.get(schedule_page).status_code == 404
    form = {"user": str(outsider.id), "start": "2026-03-02T18:00", "end": "2026-03-02T22:00"}
    assert post(client, f"{schedule_page}/overrides", form, page="/on-call").status_code == 404
    assert post(client, f"{schedule_page}/overrides/{created['override']['id']}/delete",
                page="/on-call").status_code == 404
    assert post(client, f"{schedule_page}/take", page="/on-call").status_code == 404
    assert "Platform primary" not in client.get("/on-call").text
    assert len(client.get(f"/api/schedules/{rota.schedule['id']}/overrides", headers=rota.alice.headers).json()) == 1
