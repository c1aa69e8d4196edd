"""Real mail over SMTP to <key>@domain becomes alerts: contents, MIME shapes, dedup modes, resolve, priority."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Actor, Factory, Source
from tests.email_intake.conftest import Mailer, alerts_of, email_source, mail
from tocsin.alerts.models import InboundEvent
from tocsin.db import Database
from tocsin.engine.models import Job
from tocsin.integrations.email_intake import mapping


def test_a_plain_email_opens_an_alert_with_its_contents(mailer: Mailer, inbox: Source, client: TestClient,
                                                        admin: Actor, db: Database) -> None:
    message = mail("PROBLEM: disk full on db-1", "Disk / is 97% full.\nFree: 1 GB\n",
                   message_id="<abc.123@nagios.example.com>", Cc="boss@example.com")
    reply = mailer.send(mailer.address(inbox.key), message)
    assert reply.code == 250 and reply.text.startswith("2.0.0 Message accepted: alert opened"), reply
    # 250 came after the commit: the alert is there for the next reader.
    [alert] = alerts_of(client, admin, inbox)
    assert alert["summary"] == "PROBLEM: disk full on db-1"
    assert alert["details"] == "Disk / is 97% full.\nFree: 1 GB"
    assert alert["state"] == "PENDING" and alert["priority"] == "HIGH"
    assert alert["customDetails"] == {
        "from": "Nagios <nagios@example.com>", "to": "ops@alerts.test", "cc": "boss@example.com",
        "messageId": "<abc.123@nagios.example.com>", "date": "2026-03-02T09:00:00+00:00",
    }
    log = client.get(f"/api/alerts/{alert['id']}/log", headers=admin.headers).json()
    assert log[0]["message"] == "Alert created from email event"
    with db.session() as session:
        [event] = session.scalars(select(InboundEvent))
        assert (event.event_type, event.outcome, event.alert_id) == ("ALERT", "CREATED", alert["id"])
        assert session.scalar(select(Job.kind).where(Job.kind == "alert.created")) == "alert.created"


def test_smtplib_send_message_works_like_any_mail_client(mailer: Mailer, inbox: Source, client: TestClient,
                                                         admin: Actor) -> None:
    with smtplib.SMTP("127.0.0.1", mailer.port, timeout=10) as smtp:
        refused = smtp.send_message(mail("Backup failed"), to_addrs=[mailer.address(inbox.key)])
    assert refused == {}
    assert [a["summary"] for a in alerts_of(client, admin, inbox)] == ["Backup failed"]


def test_an_html_only_multipart_email_is_turned_into_text(mailer: Mailer, inbox: Source, client: TestClient,
                                                          admin: Actor) -> None:
    message = MIMEMultipart("alternative")
    message["Subject"] = "Grafana: CPU high"
    message["From"] = "grafana@example.com"
    html = ("<html><head><title>t</title><style>p {color: red}</style></head><body>"
            "<h1>CPU&nbsp;high</h1><p>Load is <b>12.5</b> &amp; rising.</p><script>alert(1)</script>"
            "<ul><li>web-1</li><li>web-2</li></ul><p><a href='https://grafana.example/d/1'>Dashboard</a></p>"
            "</body></html>")
    message.attach(MIMEText(html, "html", "utf-8"))
    assert mailer.send(mailer.address(inbox.key), message.as_bytes()).code == 250
    [alert] = alerts_of(client, admin, inbox)
    assert alert["details"] == (
        "CPU high\n\nLoad is 12.5 & rising.\n\n- web-1\n- web-2\n\nDashboard (https://grafana.example/d/1)")


def test_plain_text_wins_over_html_in_an_alternative(mailer: Mailer, inbox: Source, client: TestClient,
                                                     admin: Actor) -> None:
    message = mail("Both parts", "the plain text")
    message.add_alternative("<p>the <b>html</b></p>", subtype="html")
    assert mailer.send(mailer.address(inbox.key), message).code == 250
    assert alerts_of(client, admin, inbox)[0]["details"] == "the plain text"


def test_attachments_are_listed_by_name(mailer: Mailer, inbox: Source, client: TestClient, admin: Actor) -> None:
    message = mail("Report attached", "See the attached files.")
    message.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="report.pdf")
    message.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="Grafik Übersicht.png")
    message.add_attachment("a,b\n1,2\n", subtype="csv", filename="data.csv")
    assert mailer.send(mailer.address(inbox.key), message).code == 250
    [alert] = alerts_of(client, admin, inbox)
    assert alert["details"] == "See the attached files.\n\nAttachments: report.pdf, Grafik Übersicht.png, data.csv"
    assert alert["customDetails"]["attachments"] == ["report.pdf", "Grafik Übersicht.png", "data.csv"]


def test_encoded_subjects_are_decoded(mailer: Mailer, inbox: Source, client: TestClient, admin: Actor) -> None:
    subjects = {
        b"=?utf-8?b?U3RvcsOpbmdlIGltIFJlY2hlbnplbnRydW0g4pqg?=": "Storénge im Rechenzentrum ⚠",
        b"=?iso-8859-1?q?Speicher_f=FCr_db-1_fast_voll?=": "Speicher für db-1 fast voll",
        b"=?utf-8?q?Teil_1?= =?utf-8?q?_und_Teil_2?=": "Teil 1 und Teil 2",
    }
    for encoded in subjects:
        raw = (b"From: zabbix@example.com\r\nSubject: " + encoded + b"\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
               b"Gr=FC=DFe aus dem Monitoring\r\n")
        assert mailer.send(mailer.address(inbox.key), raw).code == 250
    found = alerts_of(client, admin, inbox)
    assert [a["summary"] for a in found] == list(subjects.values())
    assert {a["details"] for a in found} == {"Grüße aus dem Monitoring"}


def test_raw_utf8_headers_over_smtputf8(mailer: Mailer, inbox: Source, client: TestClient, admin: Actor) -> None:
    raw = "From: überwachung@example.com\r\nSubject: Lüfter ausgefallen\r\n\r\nRack 4\r\n".encode()
    reply = mailer.send(mailer.address(inbox.key), raw, options=("SMTPUTF8", "BODY=8BITMIME"))
    assert reply.code == 250, reply
    [alert] = alerts_of(client, admin, inbox)
    assert (alert["summary"], alert["customDetails"]["from"]) == ("Lüfter ausgefallen", "überwachung@example.com")


def test_a_mail_without_subject_or_body_still_alerts(mailer: Mailer, inbox: Source, client: TestClient,
                                                     admin: Actor) -> None:
    assert mailer.send(mailer.address(inbox.key), b"From: cron@example.com\r\n\r\n").code == 250
    [alert] = alerts_of(client, admin, inbox)
    assert (alert["summary"], alert["details"]) == ("(no subject)", None)


def test_one_alert_per_email_even_with_the_same_subject(mailer: Mailer, inbox: Source, client: TestClient,
                                                        admin: Actor) -> None:
    for _ in range(2):
        assert mailer.send(mailer.address(inbox.key), mail("Disk full")).code == 250
    # The same message delivered twice (a retry after a lost answer) is one alert.
    for _ in range(2):
        assert mailer.send(mailer.address(inbox.key), mail("Disk full", message_id="<once@example.com>")).code == 250
    found = alerts_of(client, admin, inbox)
    assert [a["eventCount"] for a in found] == [1, 1, 2]
    assert all(a["alertKey"].startswith("disk full #") for a in found)


def test_one_alert_per_subject_deduplicates_replies_and_forwards(mailer: Mailer, factory: Factory, team: int,
                                                                 client: TestClient, admin: Actor) -> None:
    source = email_source(factory, team, mode="ONE_ALERT_PER_SUBJECT")
    subjects = ("Disk full on db-1", "RE: disk  FULL on db-1", "Fwd: Re: Disk full on db-1", "AW: Disk full on db-1",
                "CPU high")
    for subject in subjects:
        reply = mailer.send(mailer.address(source.key), mail(subject))
        assert reply.code == 250
    disk, cpu = alerts_of(client, admin, source)
    assert (disk["alertKey"], disk["eventCount"], disk["summary"]) == ("disk full on db-1", 4, "Disk full on db-1")
    assert (cpu["alertKey"], cpu["eventCount"]) == ("cpu high", 1)
    assert mailer.send(mailer.address(source.key), mail("Disk full on db-1")).text == (
        "2.0.0 Message accepted: added to an open alert")


def test_resolve_pattern_resolves_the_alert_of_the_subject(mailer: Mailer, factory: Factory, team: int,
                                                           client: TestClient, admin: Actor) -> None:
    source = email_source(factory, team, mode="ONE_ALERT_PER_SUBJECT", resolvePattern=r"\b(resolved|OK)\b")
    to = mailer.address(source.key)
    mailer.send(to, mail("Disk full on db-1", "97% used"))
    mailer.send(to, mail("CPU high", "load 12"))
    reply = mailer.send(to, mail("Re: Disk full on db-1", "Resolved by cleaning /tmp"))
    assert reply.text == "2.0.0 Message accepted: alert resolved"
    disk, cpu = alerts_of(client, admin, source)
    assert (disk["state"], cpu["state"]) == ("RESOLVED", "PENDING")
    # A resolve mail for a subject with no open alert changes nothing, and says so.
    assert mailer.send(to, mail("Memory OK")).text == (
        "2.0.0 Message accepted: nothing changed (no open alert for this key)")
    assert len(alerts_of(client, admin, source)) == 2


def test_alert_key_pattern_pairs_problem_and_recovery_mails(mailer: Mailer, factory: Factory, team: int,
                                                            client: TestClient, admin: Actor) -> None:
    source = email_source(factory, team, mode="ONE_ALERT_PER_SUBJECT",
                          alertKeyPattern=r"^\*\* (?:PROBLEM|RECOVERY) Service Alert: (?P<key>\S+/.+?) is",
                          resolvePattern=r"^\*\* RECOVERY")
    to = mailer.address(source.key)
    mailer.send(to, mail("** PROBLEM Service Alert: db-1/Disk is CRITICAL **"))
    mailer.send(to, mail("** PROBLEM Service Alert: web-1/HTTP is WARNING **"))
    mailer.send(to, mail("** RECOVERY Service Alert: db-1/Disk is OK **"))
    disk, http = alerts_of(client, admin, source)
    assert (disk["alertKey"], disk["state"]) == ("db-1/disk", "RESOLVED")
    assert (http["alertKey"], http["state"]) == ("web-1/http", "PENDING")


def test_in_one_alert_per_email_mode_a_resolve_mail_resolves_every_alert_of_its_subject(
        mailer: Mailer, factory: Factory, team: int, client: TestClient, admin: Actor) -> None:
    source = email_source(factory, team, resolvePattern="^resolved:")
    to = mailer.address(source.key)
    for subject in ("Disk full", "Disk full", "Disk full_", "CPU 100%"):
        mailer.send(to, mail(subject))
    reply = mailer.send(to, mail("Re: Disk full", "resolved: cleaned up"))
    assert reply.text == "2.0.0 Message accepted: alert resolved; alert resolved"
    states = [(a["summary"], a["state"]) for a in alerts_of(client, admin, source)]
    assert states == [("Disk full", "RESOLVED"), ("Disk full", "RESOLVED"), ("Disk full_", "PENDING"),
                      ("CPU 100%", "PENDING")]


def test_priority_patterns_set_the_alert_priority(mailer: Mailer, factory: Factory, team: int, client: TestClient,
                                                  admin: Actor) -> None:
    source = email_source(factory, team, highPriorityPattern=r"\bCRITICAL\b", lowPriorityPattern=r"\bWARNING\b")
    to = mailer.address(source.key)
    mailer.send(to, mail("db-1 is CRITICAL"))
    mailer.send(to, mail("db-1 is WARNING"))
    mailer.send(to, mail("db-1 report", "severity: critical"))
    mailer.send(to, mail("db-1 notice"))
    assert [a["priority"] for a in alerts_of(client, admin, source)] == ["HIGH", "LOW", "HIGH", "HIGH"]
    low_default = factory.source(teams=(), integration_type="EMAIL", priority_rule="LOW")
    mailer.send(mailer.address(low_default.key), mail("db-1 notice"))
    assert [a["priority"] for a in alerts_of(client, admin, low_default)] == ["LOW"]


def test_one_message_to_two_sources_alerts_both(mailer: Mailer, factory: Factory, team: int, client: TestClient,
                                                admin: Actor) -> None:
    first, second = email_source(factory, team), email_source(factory, team)
    upper = mailer.address(second.key.upper()).replace("alerts.test", "ALERTS.test")
    reply = mailer.send([mailer.address(first.key), upper, mailer.address(first.key)], mail("Fire"))
    assert reply.text == "2.0.0 Message accepted: alert opened; alert opened"
    assert len(alerts_of(client, admin, first)) == len(alerts_of(client, admin, second)) == 1


def test_a_source_in_maintenance_takes_mail_but_opens_nothing(mailer: Mailer, factory: Factory, team: int,
                                                              client: TestClient, admin: Actor, db: Database) -> None:
    source = factory.source(teams=(team,), integration_type="EMAIL", status="IN_MAINTENANCE")
    reply = mailer.send(mailer.address(source.key), mail("During the window"))
    assert reply.text == "2.0.0 Message accepted: nothing changed (alert source is in maintenance)"
    assert alerts_of(client, admin, source) == []
    with db.session() as session:
        assert list(session.scalars(select(InboundEvent.outcome))) == ["IGNORED"]


def test_huge_bodies_are_cut_in_the_details(mailer: Mailer, factory: Factory, team: int, client: TestClient,
                                            admin: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    source = email_source(factory, team)
    message = EmailMessage()
    message["Subject"] = "Long log"
    message.set_content("line of log output\n" * 2000)  # 38 000 characters, under the server's 64 KiB
    monkeypatch.setattr(mapping, "MAX_DETAILS_LENGTH", 1000)
    assert mailer.send(mailer.address(source.key), message).code == 250
    [alert] = alerts_of(client, admin, source)
    kept, note = alert["details"].rsplit("\n", 1)
    assert note == "[… the rest of the email is not shown]"
    assert len(kept) <= 1000 and ("line of log output\n" * 2000).startswith(kept)


def test_html_sent_as_one_long_line_is_taken(mailer: Mailer, inbox: Source, client: TestClient,
                                             admin: Actor) -> None:
    html = "<p>" + "x" * 5000 + "</p>"
    raw = ("Subject: Long line\r\nContent-Type: text/html\r\n\r\n" + html + "\r\n").encode()
    assert mailer.send(mailer.address(inbox.key), raw).code == 250
    assert alerts_of(client, admin, inbox)[0]["details"] == "x" * 5000
