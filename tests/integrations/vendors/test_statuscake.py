from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.integrations.vendors._support_batch2 import (
    assert_bad,
    request_for,
)
from tocsin.errors import Problem
from tocsin.integrations.base import InboundRequest
from tocsin.integrations.vendors.statuscake import INTEGRATION, expected_token, parse

VENDOR = "statuscake"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def form(**fields: str) -> InboundRequest:
    return InboundRequest(body=urlencode(fields).encode(), headers=FORM)


def test_down_carries_link_tags_and_details() -> None:
    event = parse(request_for(VENDOR, "down.txt"), {}).events[0]
    assert event.origin == "statuscake"
    assert event.links == [{"href": "https://shop.example.com/health", "text": "Shop API"}]
    assert event.labels == {"prod": "", "shop": ""}
    assert event.custom_details == {"StatusCode": "503", "IP": "203.0.113.10", "CheckRate": "300",
                                    "URL": "https://shop.example.com/health"}


def test_token_derived_from_username_and_api_key() -> None:
    settings = INTEGRATION.validate_settings({"username": "Acme-Ops", "apiKey": "k3y"})
    assert settings == {"token": expected_token("acme-ops", "k3y")}
    assert "k3y" not in str(settings)
    good = form(Token=settings["token"], Status="Down", StatusCode="503", URL="https://a.example", Name="A")
    assert parse(good, settings).events
    for token in ("", "b3c019ddcc26acc34c5b30ff1406727b"):
        with pytest.raises(Problem) as caught:
            parse(form(Token=token, Status="Down", Name="A", URL="https://a.example"), settings)
        assert caught.value.status == 401


def test_token_may_be_given_directly() -> None:
    assert INTEGRATION.validate_settings({"token": "B3C019DDCC26ACC34C5B30FF1406727B"}) == {
        "token": "b3c019ddcc26acc34c5b30ff1406727b"}
    parsed = parse(request_for(VENDOR, "down.txt"), {"token": "b3c019ddcc26acc34c5b30ff1406727b"})
    assert parsed.events


@pytest.mark.parametrize("settings", [
    {"username": "acme"},
    {"apiKey": "k"},
    {"token": "not-hex"},
    {"token": "b3c019ddcc26acc34c5b30ff1406727b", "username": "acme", "apiKey": "k"},
    {"password": "x"},
])
def test_bad_settings(settings: dict[str, str]) -> None:
    with pytest.raises(Problem) as caught:
        INTEGRATION.validate_settings(settings)
    assert caught.value.status == 400


def test_no_settings_is_fine() -> None:
    assert INTEGRATION.validate_settings({}) == {}


def test_missing_url_keys_on_name() -> None:
    assert parse(form(Status="DOWN", StatusCode="0", Name="Ping box"), {}).events[0].alert_key == "Ping box"


@pytest.mark.parametrize(("request_", "words"), [
    (InboundRequest(body=b"", headers=FORM), ["empty"]),
    (InboundRequest(body=b"\xff\xfe", headers=FORM), ["UTF-8"]),
    (InboundRequest(body=b"{not json", headers={"content-type": "application/json"}), ["not valid JSON"]),
    (form(Status="Down", URL="https://a.example"), ["Name"]),
    (form(Name="A", URL="https://a.example"), ["Status"]),
    (form(Name="A", Status="Paused"), ["Status", "Up or Down"]),
    (form(check_id="1", current_state="DOWN"), ["StatusCake", "Name"]),
])
def test_malformed(request_: InboundRequest, words: list[str]) -> None:
    assert_bad(parse, request_, *words)
