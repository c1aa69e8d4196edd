"""SMS and voice through a stand-in Twilio REST API on 127.0.0.1, and Twilio's signed calls back to us:
reply codes in SMS, "1a" accepts, a pressed 1 accepts, and nothing happens without a valid signature."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Factory
from tests.live import free_port
from tests.notifications.conftest import (
    TWILIO_FROM,
    TWILIO_INVALID_ERROR,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeTwilio,
    twilio_signature,
)
from tests.scenarios.harness import Devices, Person, Scenario
from tocsin.app import create_app
from tocsin.auth import service as auth
from tocsin.auth.models import TeamRole
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.worker import Worker
from tocsin.notifications.channels.base import OutboundMessage, PermanentFailure
from tocsin.notifications.channels.twilio import (
    SMS_MAX_CHARS,
    ReplyCodes,
    TwilioClient,
    TwilioConfig,
    TwilioUnavailable,
    signature,
    sms_body,
)
from tocsin.notifications.models import Channel, ContactMethod, MessageKind, MessageStatus, Notification
from tocsin.notifications.setup import build_senders
from tocsin.settings import Settings

PUBLIC = "https://oncall.example.com/tocsin"  # twilio_settings' base URL: what Twilio knows us by
SMS_PATH = "/api/webhooks/twilio/sms"


@pytest.fixture
def app(twilio_settings: Settings, db: Database, clock: FrozenClock) -> FastAPI:
    return create_app(twilio_settings, db=db, clock=clock)


@pytest.fixture
def scenario(client: TestClient, factory: Factory, clock: FrozenClock, worker: Worker) -> Iterator[Scenario]:
    yield Scenario(client, factory, clock, worker, Devices())


def reply(client: TestClient, sender: str, body: str, *, signed_for: str = PUBLIC + SMS_PATH,
          token: str = TWILIO_TOKEN) -> Any:
    """Post an incoming SMS the way Twilio does, signed for `signed_for`."""
    params = {"MessageSid": "SM" + "f" * 32, "AccountSid": TWILIO_SID, "From": sender, "To": TWILIO_FROM,
              "Body": body, "NumMedia": "0"}
    return client.post(SMS_PATH, data=params,
                       headers={"X-Twilio-Signature": twilio_signature(signed_for, params, token)})


def parse_twiml(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314  (TwiML tocsin wrote, in a test)


def message_text(response: Any) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = parse_twiml(response.text)
    assert root.tag == "Response"
    return "".join(m.text or "" for m in root.iter("Message"))


def alert_json(scenario: Scenario, alert_id: int) -> Any:
    return scenario.ok(scenario.client.get(f"/api/alerts/{alert_id}", headers=scenario.admin.headers))


def notifications(db: Database, channel: Channel) -> list[Notification]:
    with db.session() as session:
        query = select(Notification).where(Notification.channel == channel.value).order_by(Notification.id)
        return list(session.scalars(query))


def sms_person(scenario: Scenario, name: str) -> Person:
    return scenario.person(name, high=[("SMS", 0)], low=[("SMS", 0)], channels=("SMS",))


# --- signatures -------------------------------------------------------------------------------------


def test_signature_matches_twilios_published_example() -> None:
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


# --- outbound SMS -----------------------------------------------------------------------------------


def test_alert_sms_reaches_twilio_with_a_reply_code(scenario: Scenario, twilio: FakeTwilio, db: Database) -> None:
    ann = sms_person(scenario, "Ann")
    key = scenario.source(scenario.policy((30, [ann])))
    alert = scenario.alert(key, "disk")
    [sent] = twilio.resources("Messages")  # the stand-in checked the basic auth
    assert sent.fields == {"To": ann.addresses["SMS"], "From": TWILIO_FROM,
                           "Body": f"[HIGH] #{alert} Trouble with disk\nReply 1a to accept, 1r to resolve"}
    [row] = notifications(db, Channel.SMS)
    assert (row.status, row.provider_answer, row.content["replyCode"]) == (MessageStatus.SENT.value, sent.sid, 1)
    assert "Sent SMS notification to Ann" in scenario.log(alert)


def test_reply_codes_differ_per_number_and_come_back_after_a_day(scenario: Scenario, twilio: FakeTwilio) -> None:
    ann, ben = sms_person(scenario, "Ann"), sms_person(scenario, "Ben")
    key = scenario.source(scenario.policy((60, [ann, ben])))
    scenario.alert(key, "one")
    scenario.alert(key, "two")
    scenario.clock.advance(timedelta(hours=23))
    scenario.alert(key, "three")

    def codes(person: Person) -> list[str]:
        return [m.fields["Body"].rsplit("Reply ", 1)[1].split(" ")[0]
                for m in twilio.resources("Messages") if m.fields["To"] == person.addresses["SMS"]]

    assert codes(ann) == codes(ben) == ["1a", "2a", "3a"]  # each number has its own codes
    scenario.clock.advance(timedelta(hours=1, seconds=1))  # "one" and "two" are now more than a day old
    scenario.alert(key, "four")
    scenario.alert(key, "five")
    assert codes(ann)[3:] == ["1a", "2a"]


def test_shared_phone_gets_distinct_codes(scenario: Scenario, twilio: FakeTwilio) -> None:
    ann, ben = sms_person(scenario, "Ann"), sms_person(scenario, "Ben")
    shared = "+4930123456789"  # the team's on-call phone, on both profiles
    for person in (ann, ben):
        scenario.ok(scenario.client.post("/api/users/me/contact-methods", headers=person.headers,
                                         json={"channel": "SMS", "address": shared}))
    key = scenario.source(scenario.policy((60, [ann, ben])))
    alert = scenario.alert(key)
    bodies = sorted(m.fields["Body"] for m in twilio.resources("Messages") if m.fields["To"] == shared)
    assert [b.rsplit("\n", 1)[1] for b in bodies] == ["Reply 1a to accept, 1r to resolve",
                                                        "Reply 2a to accept, 2r to resolve"]
    # The code names one message, so one person: the answer comes from whoever that SMS went to.
    assert "Accepted" in message_text(reply(scenario.client, shared, "2a"))
    assert alert_json(scenario, alert)["state"] == "ACCEPTED"


def test_concurrent_senders_never_share_a_code(scenario: Scenario, db: Database) -> None:
    """Workers sending to one number at the same moment (PostgreSQL: in parallel) each get their own code."""
    ann = scenario.person("Ann", channels=("SMS",))  # her rules page by EMAIL: no SMS goes out by itself
    alert = scenario.alert(scenario.source(scenario.policy((30, [ann]))))
    number = ann.addresses["SMS"]
    with db.session(write=True) as session:
        method_id = session.scalar(select(ContactMethod.id).where(ContactMethod.address == number))
        rows = [Notification(alert_id=alert, user_id=ann.id, contact_method_id=method_id, channel="SMS",
                             kind="ALERT", idempotency_key=f"k{i}", content={}, created_at=scenario.clock.now())
                for i in range(6)]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    codes = ReplyCodes(db, db.url)
    start = threading.Barrier(len(ids))

    def assign(notification_id: int) -> int | None:
        start.wait()
        return codes.assign(notification_id, number)

    with ThreadPoolExecutor(len(ids)) as pool:
        assigned = list(pool.map(assign, ids))
    assert sorted(c for c in assigned if c is not None) == [1, 2, 3, 4, 5, 6]
    assert [codes.assign(i, number) for i in ids] == assigned  # a retry keeps its code


def test_sms_body_fits_320_characters() -> None:
    long = OutboundMessage(notification_id=1, channel=Channel.SMS, kind=MessageKind.ALERT, address="+491511",
                           subject="[HIGH] #12 " + "Disk full on db-1 " * 40, text="", idempotency_key="k",
                           recipient_name="Ann", alert={"id": 12})
    body = sms_body(long, 3)
    assert len(body) == SMS_MAX_CHARS
    assert body.startswith("[HIGH] #12 Disk full") and body.endswith("...\nReply 3a to accept, 3r to resolve")
    update = OutboundMessage(notification_id=2, channel=Channel.SMS, kind=MessageKind.UPDATE, address="+491511",
                             subject="[ACCEPTED] #12 Disk full", text="Alert #12 is now accepted: Disk full",
                             idempotency_key="u", recipient_name="Ann", alert={"id": 12})
    assert sms_body(update, None) == "Alert #12 is now accepted: Disk full"


def test_invalid_number_fails_the_message_at_once(scenario: Scenario, twilio: FakeTwilio, db: Database) -> None:
    ann = sms_person(scenario, "Ann")
    twilio.invalid_numbers.add(ann.addresses["SMS"])
    alert = scenario.alert(scenario.source(scenario.policy((30, [ann]))))
    [row] = notifications(db, Channel.SMS)
    assert (row.status, row.attempts) == (MessageStatus.FAILED.value, 1)
    assert row.last_error is not None and f"400, error {TWILIO_INVALID_ERROR}: The 'To' number" in row.last_error
    assert len(twilio.refused) == 1 and twilio.created == []
    scenario.clock.advance(timedelta(hours=2))
    scenario.worker.run_until_idle()
    assert len(twilio.refused) == 1  # not retried
    assert any(line.startswith("Failed to send SMS notification to Ann: Twilio refused the message: 400")
               for line in scenario.log(alert))


def test_rate_limit_and_server_errors_are_retried_with_the_same_code(
    scenario: Scenario, twilio: FakeTwilio, db: Database
) -> None:
    ann = sms_person(scenario, "Ann")
    twilio.answers = [(503, {"code": 20500, "message": "Internal Server Error", "status": 503}),
                      (429, {"code": 20429, "message": "Too Many Requests", "status": 429})]
    alert = scenario.alert(scenario.source(scenario.policy((30, [ann]))))
    [row] = notifications(db, Channel.SMS)
    assert (row.status, row.attempts) == (MessageStatus.QUEUED.value, 1)
    assert row.last_error == "Twilio answered 503, error 20500: Internal Server Error"
    scenario.after(5 / 60)  # first retry after 5 s: rate limited
    assert notifications(db, Channel.SMS)[0].last_error == "Twilio answered 429, error 20429: Too Many Requests"
    scenario.after(10 / 60)
    [row] = notifications(db, Channel.SMS)
    assert (row.status, row.attempts) == (MessageStatus.SENT.value, 3)
    assert [f["Body"][-33:] for f in twilio.refused] + [twilio.created[0].fields["Body"][-33:]] == [
        "Reply 1a to accept, 1r to resolve"] * 3
    assert "Sent SMS notification to Ann" in scenario.log(alert)


def test_unreachable_provider_is_a_retry_and_refusal_is_not(twilio: FakeTwilio) -> None:
    down = TwilioConfig(f"http://127.0.0.1:{free_port()}", TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM, 2)
    with pytest.raises(TwilioUnavailable, match="Twilio request failed: ConnectError"):
        TwilioClient(down).create("Messages", {"To": "+4915100000", "From": TWILIO_FROM, "Body": "x"})
    wrong_token = TwilioConfig(twilio.url, TWILIO_SID, "not-the-token", TWILIO_FROM)
    with pytest.raises(PermanentFailure, match="401, error 20003: Authenticate"):
        TwilioClient(wrong_token).create("Messages", {"To": "+4915100000", "From": TWILIO_FROM, "Body": "x"})


# --- inbound SMS replies ----------------------------------------------------------------------------


def test_scenario_sms_reply_accepts(scenario: Scenario, twilio: FakeTwilio) -> None:
    ann, ben = sms_person(scenario, "Ann"), sms_person(scenario, "Ben")
    key = scenario.source(scenario.policy((30, [ann, ben])))
    alert = scenario.alert(key, "disk")
    assert len(twilio.resources("Messages")) == 2

    answer = message_text(reply(scenario.client, ann.addresses["SMS"], "  1A \n"))
    assert answer == f"Accepted: #{alert} Trouble with disk"
    got = alert_json(scenario, alert)
    assert (got["state"], got["acceptedBy"]["id"]) == ("ACCEPTED", ann.id)
    log = scenario.log(alert)
    assert "Alert accepted by Ann" in log and "Ann accepted the alert by SMS reply" in log

    scenario.now()  # Ben, paged too, hears about it by SMS (no reply code: there is nothing to do)
    update = twilio.resources("Messages")[-1].fields
    assert update["To"] == ben.addresses["SMS"]
    assert update["Body"] == f"Alert #{alert} is now accepted: Trouble with disk"
    assert scenario.after(60) == []  # no further escalation

    assert message_text(reply(scenario.client, ann.addresses["SMS"], "1a")) == (
        f"Already accepted: #{alert} Trouble with disk")
    assert message_text(reply(scenario.client, ben.addresses["SMS"], "1r")) == (
        f"Resolved: #{alert} Trouble with disk")
    got = alert_json(scenario, alert)
    assert (got["state"], got["resolvedBy"]["id"]) == ("RESOLVED", ben.id)
    assert message_text(reply(scenario.client, ann.addresses["SMS"], "1a")) == (
        f"Alert #{alert} is already resolved; it cannot be accepted.")


@pytest.mark.parametrize("forge", ["wrong-token", "local-url", "missing", "tampered"])
def test_bad_signature_is_403_and_changes_nothing(scenario: Scenario, twilio: FakeTwilio, forge: str) -> None:
    ann = sms_person(scenario, "Ann")
    alert = scenario.alert(scenario.source(scenario.policy((30, [ann]))))
    number = ann.addresses["SMS"]
    params = {"From": number, "To": TWILIO_FROM, "Body": "1a"}
    headers = {"X-Twilio-Signature": twilio_signature(PUBLIC + SMS_PATH, params)}
    if forge == "wrong-token":
        headers["X-Twilio-Signature"] = twilio_signature(PUBLIC + SMS_PATH, params, "guessed-token")
    elif forge == "local-url":  # signed for the address the proxy forwards to, not the public one
        headers["X-Twilio-Signature"] = twilio_signature("http://testserver" + SMS_PATH, params)
    elif forge == "missing":
        headers = {}
    else:
        params["Body"] = "1r"
    response = scenario.client.post(SMS_PATH, data=params, headers=headers)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert alert_json(scenario, alert)["state"] == "PENDING"
    assert not any("by SMS reply" in line for line in scenario.log(alert))


@pytest.mark.parametrize("sender", ["+4917000000000", "anonymous", "+49151\x00", ""])
def test_reply_from_an_unknown_number_changes_nothing(scenario: Scenario, twilio: FakeTwilio, sender: str) -> None:
    ann = sms_person(scenario, "Ann")
    alert = scenario.alert(scenario.source(scenario.policy((30, [ann]))))
    assert message_text(reply(scenario.client, sender, "1a")) == (
        "This phone number is not set up for SMS in tocsin.")
    assert alert_json(scenario, alert)["state"] == "PENDING"


@pytest.mark.parametrize("body", ["yes", "1", "a", "1x", "1 a b", ""])
def test_unparsable_reply_gets_help(scenario: Scenario, twilio: FakeTwilio, body: str) -> None:
    ann = sms_person(scenario, "Ann")
    alert = scenario.alert(scenario.source(scenario.policy((30, [ann]))))
    assert "reply with the code from its message and a to accept" in message_text(
        reply(scenario.client, ann.addresses["SMS"], body))
    assert alert_json(scenario, alert)["state"] == "PENDING"


def test_unknown_or_expired_code_is_answered_and_changes_nothing(scenario: Scenario, twilio: FakeTwilio) -> None:
    ann, ben = sms_person(scenario, "Ann"), sms_person(scenario, "Ben")
    alert = scenario.alert(scenario.source(scenario.policy((60, [ann]))))
    # Ben has the number of no message with code 1: Ann's code does not work from his phone.
    assert message_text(reply(scenario.client, ben.addresses["SMS"], "1a")).startswith(
        "No alert message with code 1 was sent to this number in the last 24 hours.")
    assert message_text(reply(scenario.client, ann.addresses["SMS"], "7a")).startswith(
        "No alert message with code 7")
    scenario.clock.advance(timedelta(hours=24, seconds=1))
    assert message_text(reply(scenario.client, ann.addresses["SMS"], "1a")).startswith(
        "No alert message with code 1")
    assert alert_json(scenario, alert)["state"] == "PENDING"


def test_code_of_an_alert_the_user_can_no_longer_see(scenario: Scenario, twilio: FakeTwilio, db: Database) -> None:
    ann = sms_person(scenario, "Ann")
    alert = scenario.alert(scenario.source(scenario.policy((60, [ann]))))
    with db.session(write=True) as session:  # Ann leaves the team that owns the alert's source
        team = auth.get_team(session, scenario.team)
        auth.set_team_members(session, team, [(m.user_id, TeamRole(m.role)) for m in team.members
                                              if m.user_id != ann.id])
    assert message_text(reply(scenario.client, ann.addresses["SMS"], "1a")) == (
        f"You no longer have access to alert #{alert}.")
    assert alert_json(scenario, alert)["state"] == "PENDING"


# --- voice ------------------------------------------------------------------------------------------


def voice_person(scenario: Scenario, name: str) -> Person:
    return scenario.person(name, high=[("VOICE", 0)], low=[("VOICE", 0)], channels=("VOICE",))


def call_twiml(twilio: FakeTwilio) -> ET.Element:
    [call] = twilio.resources("Calls")
    assert call.fields["From"] == TWILIO_FROM
    return parse_twiml(call.fields["Twiml"])


def press(client: TestClient, action: str, digits: str, *, token: str = TWILIO_TOKEN) -> Any:
    """Post a <Gather> result the way Twilio does: to the action URL, signed for it."""
    assert action.startswith(PUBLIC)
    params = {"CallSid": "CA" + "e" * 32, "AccountSid": TWILIO_SID, "From": TWILIO_FROM, "To": "+4915100000",
              "Digits": digits, "CallStatus": "in-progress"}
    return client.post(action[len(PUBLIC):], data=params,
                       headers={"X-Twilio-Signature": twilio_signature(action, params, token)})


def spoken(response: Any) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return " ".join(s.text or "" for s in parse_twiml(response.text).iter("Say"))


def test_voice_call_reads_the_alert_and_pressing_1_accepts(scenario: Scenario, twilio: FakeTwilio) -> None:
    cid = voice_person(scenario, "Cid")
    alert = scenario.alert(scenario.source(scenario.policy((30, [cid]))), "disk")
    root = call_twiml(twilio)
    assert twilio.resources("Calls")[0].fields["To"] == cid.addresses["VOICE"]
    gathers = list(root.iter("Gather"))
    assert gathers and all(g.get("numDigits") == "1" and g.get("method") == "POST" for g in gathers)
    action = gathers[0].get("action") or ""
    assert action.startswith(f"{PUBLIC}/api/webhooks/twilio/voice/")
    said = " ".join(s.text or "" for s in root.iter("Say"))
    assert f"HIGH priority alert {alert} from Service: Trouble with disk" in said
    assert "Press 1 to accept, 2 to resolve." in said

    assert "Sorry, that key does nothing here" in spoken(press(scenario.client, action, "9"))
    assert alert_json(scenario, alert)["state"] == "PENDING"
    assert press(scenario.client, action, "1", token="guessed-token").status_code == 403
    assert alert_json(scenario, alert)["state"] == "PENDING"

    assert spoken(press(scenario.client, action, "1")) == f"Alert {alert} accepted. Goodbye."
    got = alert_json(scenario, alert)
    assert (got["state"], got["acceptedBy"]["id"]) == ("ACCEPTED", cid.id)
    assert "Cid accepted the alert by phone" in scenario.log(alert)
    assert spoken(press(scenario.client, action, "2")) == f"Alert {alert} resolved. Goodbye."
    assert alert_json(scenario, alert)["state"] == "RESOLVED"


def test_voice_gather_with_a_bad_token_changes_nothing(scenario: Scenario, twilio: FakeTwilio) -> None:
    cid = voice_person(scenario, "Cid")
    alert = scenario.alert(scenario.source(scenario.policy((30, [cid]))))
    action = call_twiml(twilio).iter("Gather").__next__().get("action") or ""
    forged = action[:-3] + ("AAA" if not action.endswith("AAA") else "BBB")
    assert "can no longer be used" in spoken(press(scenario.client, forged, "1"))
    scenario.clock.advance(timedelta(hours=25))  # the call's token has expired
    assert "can no longer be used" in spoken(press(scenario.client, action, "1"))
    assert alert_json(scenario, alert)["state"] == "PENDING"


def test_channels_are_on_only_when_configured(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_senders(settings).keys().isdisjoint({Channel.SMS, Channel.VOICE})
    monkeypatch.setenv("TOCSIN_TWILIO_ACCOUNT_SID", TWILIO_SID)
    monkeypatch.setenv("TOCSIN_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("TOCSIN_TWILIO_FROM", TWILIO_FROM)
    monkeypatch.setenv("TOCSIN_DATABASE_URL", settings.database_url)
    configured = Settings.from_env()
    assert TwilioConfig.from_settings(configured) == TwilioConfig("https://api.twilio.com", TWILIO_SID, TWILIO_TOKEN,
                                                                  TWILIO_FROM)
    assert TWILIO_TOKEN not in repr(configured)
    senders = build_senders(configured)
    assert (senders[Channel.SMS].channel, senders[Channel.VOICE].channel) == (Channel.SMS, Channel.VOICE)
    monkeypatch.setenv("TOCSIN_TWILIO_BASE_URL", "https://sms.example.net/")
    assert TwilioConfig.from_settings(Settings.from_env()).base_url == "https://sms.example.net"  # type: ignore[union-attr]


def test_webhooks_answer_404_when_twilio_is_not_configured(settings: Settings, db: Database,
                                                           clock: FrozenClock) -> None:
    with TestClient(create_app(settings, db=db, clock=clock)) as client:
        response = client.post(SMS_PATH, data={"From": "+4915100000", "Body": "1a"})
    assert response.status_code == 404
    assert response.json()["detail"] == "SMS and voice (Twilio) are not configured on this server"
