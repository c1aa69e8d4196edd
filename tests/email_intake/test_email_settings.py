"""An EMAIL alert source's integrationSettings are checked when it is saved; the pure parts of the mapping."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tocsin.integrations.email_intake.html_text import html_to_text
from tocsin.integrations.email_intake.mapping import subject_key
from tocsin.integrations.email_intake.message import UnreadableMail, read_mail


def create(client: TestClient, admin: Actor, given: dict[str, Any] | None = None, **body: Any) -> Any:
    body = {"name": "Mail", "integrationType": "EMAIL", **body}
    if given is not None:
        body["integrationSettings"] = given
    return client.post("/api/alert-sources", headers=admin.headers, json=body)


def test_an_email_source_gets_the_default_mode(client: TestClient, admin: Actor) -> None:
    response = create(client, admin)
    assert response.status_code == 201, response.text
    assert response.json()["integrationType"] == "EMAIL"
    assert response.json()["integrationSettings"] == {"mode": "ONE_ALERT_PER_EMAIL"}


def test_valid_settings_are_stored(client: TestClient, admin: Actor) -> None:
    given = {"mode": "ONE_ALERT_PER_SUBJECT", "resolvePattern": "^RECOVERY", "alertKeyPattern": "Host: (\\S+)",
             "highPriorityPattern": "CRITICAL", "lowPriorityPattern": "WARNING"}
    response = create(client, admin, given)
    assert response.status_code == 201, response.text
    assert response.json()["integrationSettings"] == given


@pytest.mark.parametrize(("given", "field", "words"), [
    ({"mode": "ONE_ALERT_PER_DAY"}, "integrationSettings.mode", "mode must be one of"),
    ({"resolvePattern": "(unclosed"}, "integrationSettings.resolvePattern", "not a valid regular expression"),
    ({"resolvePattern": ".*"}, "integrationSettings.resolvePattern", "would match every email"),
    ({"resolvePattern": 5}, "integrationSettings.resolvePattern", "non-empty regular expression"),
    ({"resolvePattern": "x" * 501}, "integrationSettings.resolvePattern", "at most 500"),
    ({"highPriorityPattern": " "}, "integrationSettings.highPriorityPattern", "non-empty"),
    ({"alertKeyPattern": "(a)(b)"}, "integrationSettings.alertKeyPattern", "(?P<key>"),
    ({"resolvePatern": "OK"}, "integrationSettings.resolvePatern", "unknown email setting"),
])
def test_invalid_settings_are_400_naming_the_field(client: TestClient, admin: Actor, given: dict[str, Any],
                                                   field: str, words: str) -> None:
    body = problem(create(client, admin, given), 400)
    assert body["field"] == field and words in body["detail"], body


def test_switching_a_source_to_email_checks_the_settings_it_has(client: TestClient, admin: Actor) -> None:
    api = client.post("/api/alert-sources", headers=admin.headers, json={"name": "Was API"})
    assert api.status_code == 201, api.text
    path = f"/api/alert-sources/{api.json()['id']}"
    body = problem(client.put(path, headers=admin.headers,
                              json={"integrationType": "EMAIL", "integrationSettings": {"secret": "x"}}), 400)
    assert body["field"] == "integrationSettings.secret"
    changed = client.put(path, headers=admin.headers, json={"integrationType": "EMAIL", "integrationSettings": {}})
    assert changed.status_code == 200 and changed.json()["integrationSettings"] == {"mode": "ONE_ALERT_PER_EMAIL"}


def test_heartbeat_is_a_known_integration_type(client: TestClient, admin: Actor) -> None:
    response = client.post("/api/alert-sources", headers=admin.headers,
                           json={"name": "Heartbeats", "integrationType": "HEARTBEAT"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("subject", "key"), [
    ("Disk full", "disk full"),
    ("  RE:  Re: FWD: Disk   full ", "disk full"),
    ("Fw: AW: WG: SV: Antw: Disk full", "disk full"),
    ("Re[2]: Disk full", "disk full"),
    ("Reboot needed", "reboot needed"),
    ("Re:", "(no subject)"),
    ("", "(no subject)"),
])
def test_subject_keys_ignore_reply_prefixes_case_and_spacing(subject: str, key: str) -> None:
    assert subject_key(subject) == key


def test_html_to_text_keeps_text_and_link_targets_only() -> None:
    html = ("<div>Hello<br>world</div><table><tr><td>a</td><td>b</td></tr></table>"
            "<a href='javascript:x()'>click</a> &lt;tag&gt; <!-- hidden -->")
    assert html_to_text(html) == "Hello\nworld\n\na b\n\nclick <tag>"


def test_an_unknown_charset_is_read_as_utf8_with_replacements() -> None:
    raw = b"Subject: x\r\nContent-Type: text/plain; charset=klingon\r\n\r\ncaf\xc3\xa9 \xff\r\n"
    assert read_mail(raw).text == "café \ufffd"


def test_nul_characters_are_dropped() -> None:
    mail = read_mail(b"Subject: a\x00b\r\n\r\nc\x00d\r\n")
    assert (mail.subject, mail.text) == ("ab", "cd")


def test_empty_bytes_are_unreadable() -> None:
    with pytest.raises(UnreadableMail):
        read_mail(b"   ")
