"""Coverage requests in the web app: ask in two steps, the badge, the lists, accept / decline / cancel on
the request's page, and nobody else sees it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import START, Actor, Factory
from tests.web.conftest import Rota, on_call
from tests.web.helpers import HTMX, post, token, web_login
from tocsin.auth.models import Role
from tocsin.clock import FrozenClock

NEW = "/coverage-requests/new"


def monday_key(rota: Rota) -> str:
    """Alice's first shift: Monday 2 March 09:00 to Tuesday 09:00 UTC."""
    start = int(START.timestamp())
    return f"{rota.schedule['id']}-{start}-{start + 86400}"


def ask_bob(client: TestClient, rota: Rota, message: str = "Dentist in the evening") -> int:
    """Alice asks Bob for 18:00-23:00 Berlin time on Monday, through the two steps of the form."""
    key = monday_key(rota)
    second = post(client, NEW, {"op": "next", "pick": key, f"from-{key}": "2026-03-02T18:00",
                                f"to-{key}": "2026-03-02T23:00"}, page=NEW)
    assert second.status_code == 200, second.text
    [part] = re.findall(r'name="range" value="([\d-]+)"', second.text)
    sent = post(client, NEW, {"op": "send", "range": part, "to": f"user:{rota.bob.id}", "message": message},
                page=NEW)
    assert sent.status_code == 303, sent.text
    return int(sent.headers["location"].rsplit("/", 1)[1])


def api_request(client: TestClient, actor: Actor, request_id: int) -> dict[str, Any]:
    response = client.get(f"/api/coverage-requests/{request_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_asking_for_part_of_a_shift_in_two_steps(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    first = client.get(f"{NEW}?pick={monday_key(rota)}").text
    assert f'value="{monday_key(rota)}" checked' in first  # the shift "Ask for cover" came from
    assert 'value="2026-03-02T10:00"' in first  # the whole shift in Berlin time, to narrow
    nothing = post(client, NEW, {"op": "next"}, page=NEW)
    assert nothing.status_code == 400 and "pick at least one of your shifts" in nothing.text
    key = monday_key(rota)
    outside = post(client, NEW, {"op": "next", "pick": key, f"from-{key}": "2026-03-02T08:00",
                                 f"to-{key}": "2026-03-02T12:00"}, page=NEW)
    assert outside.status_code == 400 and "pick a time inside the shift" in outside.text

    second = post(client, NEW, {"op": "next", "pick": key, f"from-{key}": "2026-03-02T18:00",
                                f"to-{key}": "2026-03-02T23:00"}, page=NEW)
    assert f'value="user:{rota.bob.id}" checked' in second.text  # Bob is free then: suggested first
    assert "18:00 \u2013 23:00" in second.text  # Alice's clock
    assert "11:00 \u2013 16:00" in second.text and "America/Chicago" in second.text  # Bob's, in the box
    [part] = re.findall(r'name="range" value="([\d-]+)"', second.text)
    times = client.get(f"{NEW}/times", params={"range": part, "to": f"user:{rota.alice.id}"}, headers=HTMX)
    assert "Alice is in your time zone" in times.text

    back = post(client, NEW, {"op": "back", "range": part}, page=NEW)
    assert f'value="{key}" checked' in back.text and 'value="2026-03-02T18:00"' in back.text

    request_id = ask_bob(client, rota)
    created = api_request(client, rota.alice, request_id)
    assert created["state"] == "PENDING" and created["receiver"]["name"] == "Bob"
    assert [(s["start"], s["end"]) for s in created["shifts"]] == [("2026-03-02T17:00:00Z", "2026-03-02T22:00:00Z")]
    assert created["message"] == "Dentist in the evening"
    page = client.get(f"/coverage-requests/{request_id}").text
    assert "You asked Bob to cover 1 shift" in page and "Dentist in the evening" in page
    assert "Bob\u2019s time: 11:00 \u2013 16:00" in page
    again = post(client, NEW, {"op": "send", "range": part, "to": f"user:{rota.bob.id}"}, page=NEW)
    assert again.status_code == 409 and "still pending" in again.text


def test_the_receiver_sees_a_badge_and_declines_with_a_comment(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    request_id = ask_bob(client, rota)
    bob = TestClient(client.app)
    web_login(bob, rota.bob)
    alerts = bob.get("/alerts").text
    assert '<span class="dot" aria-hidden="true"></span>' in alerts and "(1 waiting for you)" in alerts
    assert '<span class="count count-danger">1</span>' in alerts
    listed = bob.get("/coverage-requests").text
    assert f'href="/coverage-requests/{request_id}"' in listed and "From Alice" in listed
    detail = f"/coverage-requests/{request_id}"
    assert 'id="cov-accept"' in bob.get(detail).text

    assert bob.post(f"{detail}/decline", data={"comment": "Away"}, headers=HTMX).status_code == 403
    declined = bob.post(f"{detail}/decline", data={"comment": "Sorry, I am at a wedding"},
                        headers={**HTMX, "X-CSRF-Token": token(bob, detail)})
    assert declined.status_code == 200
    assert 'id="cov-state">Declined' in declined.text and "Declined. The sender has been told." in declined.text
    assert 'id="coverage-detail"' in declined.text and "<html" not in declined.text  # the block, swapped in place
    assert 'id="menu-button" popovertarget="menu" aria-controls="menu" hx-swap-oob="true"' in declined.text
    assert '<span class="dot"' not in declined.text  # the badge goes with the request it counted
    assert '<span class="dot"' not in bob.get("/alerts").text

    alice_view = client.get(detail).text
    assert 'id="decline-comment">Sorry, I am at a wedding<' in alice_view
    assert "Sorry, I am at a wedding" in client.get("/coverage-requests?box=sent").text
    assert api_request(client, rota.alice, request_id)["declineComment"] == "Sorry, I am at a wedding"


def test_accepting_hands_the_range_over_and_the_page_stays_on_the_request(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    request_id = ask_bob(client, rota)
    bob = TestClient(client.app)
    web_login(bob, rota.bob)
    detail = f"/coverage-requests/{request_id}"
    accepted = post(bob, f"{detail}/accept", page=detail)
    assert accepted.status_code == 303 and accepted.headers["location"] == detail
    assert 'id="cov-state">Accepted' in bob.get(detail).text
    assert on_call(client, rota.alice, rota.schedule, "2026-03-02T18:00:00Z") == "Bob"
    assert on_call(client, rota.alice, rota.schedule, "2026-03-02T22:00:00Z") == "Alice"
    again = post(bob, f"{detail}/decline", {"comment": "changed my mind"}, page=detail)
    assert again.status_code == 409 and "no longer be declined" in again.text
    assert 'id="cov-state">Accepted' in again.text  # the request's page, with the reason


def test_the_sender_cancels(client: TestClient, rota: Rota) -> None:
    web_login(client, rota.alice)
    request_id = ask_bob(client, rota)
    detail = f"/coverage-requests/{request_id}"
    assert client.post(f"{detail}/cancel", follow_redirects=False).status_code == 403
    cancelled = client.post(f"{detail}/cancel", headers={**HTMX, "X-CSRF-Token": token(client, detail)})
    assert 'id="cov-state">Cancelled' in cancelled.text
    assert api_request(client, rota.alice, request_id)["state"] == "CANCELLED"
    bob = TestClient(client.app)
    web_login(bob, rota.bob)
    assert post(bob, f"{detail}/accept", page=detail).status_code == 409


def test_lists_show_pending_and_recent_and_all_on_request(client: TestClient, rota: Rota, clock: FrozenClock) -> None:
    web_login(client, rota.alice)
    old = ask_bob(client, rota)
    client.put(f"/api/coverage-requests/{old}/cancel", headers=rota.alice.headers)
    clock.advance(timedelta(hours=2))
    expiring = ask_bob(client, rota, "second try")
    clock.advance(timedelta(hours=23))  # the first changed 25 h ago; the second's range has ended
    page = client.get("/coverage-requests?box=sent").text
    assert f'id="coverage-{expiring}"' in page and f'id="coverage-{old}"' not in page
    assert '<span class="chip neutral">Expired</span>' in page
    everything = client.get("/coverage-requests?box=sent&all=true").text
    assert f'id="coverage-{expiring}"' in everything and f'id="coverage-{old}"' in everything
    assert "Nothing waiting for you" in client.get("/coverage-requests").text
    assert "This request expired" in client.get(f"/coverage-requests/{expiring}").text


def test_broadcast_to_the_team(client: TestClient, rota: Rota, factory: Factory, team: int) -> None:
    cy = factory.user(Role.RESPONDER, teams=(team,), name="Cy")
    web_login(client, rota.alice)
    key = monday_key(rota)
    second = post(client, NEW, {"op": "next", "pick": key}, page=NEW)
    assert f'value="team:{team}"' in second.text and "Everyone in Operations" in second.text
    [part] = re.findall(r'name="range" value="([\d-]+)"', second.text)
    sent = post(client, NEW, {"op": "send", "range": part, "to": f"team:{team}"}, page=NEW)
    request_id = int(sent.headers["location"].rsplit("/", 1)[1])
    assert {r["user"]["name"] for r in api_request(client, rota.alice, request_id)["recipients"]} == {"Bob", "Cy"}
    other = TestClient(client.app)
    web_login(other, cy)
    assert "Alice asks your team to cover 1 shift" in other.get(f"/coverage-requests/{request_id}").text


def test_only_the_people_concerned_see_a_request(client: TestClient, rota: Rota, factory: Factory, team: int,
                                                 outsider: Actor) -> None:
    web_login(client, rota.alice)
    request_id = ask_bob(client, rota)
    detail = f"/coverage-requests/{request_id}"
    for stranger in (outsider, factory.user(Role.RESPONDER, teams=(team,), name="Teammate")):
        other = TestClient(client.app)
        web_login(other, stranger)
        assert other.get(detail).status_code == 404
        for action in ("accept", "decline", "cancel"):
            assert post(other, f"{detail}/{action}", page="/coverage-requests").status_code == 404
    assert api_request(client, rota.alice, request_id)["state"] == "PENDING"
    assert post(client, f"{detail}/accept", page=detail).status_code == 403  # the sender is not the receiver
