"""What the SMTP server answers when it will not take a message, and that nothing is stored then."""

from __future__ import annotations

import smtplib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Actor, Factory, Source
from tests.email_intake.conftest import DOMAIN, MAX_BYTES, Mailer, alerts_of, mail
from tocsin.alerts.models import Alert, InboundEvent
from tocsin.db import Database


def stored(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (session.scalar(select(func.count()).select_from(Alert)) or 0,
                session.scalar(select(func.count()).select_from(InboundEvent)) or 0)


def test_the_greeting_and_ehlo_name_the_domain_and_the_size_limit(mailer: Mailer) -> None:
    with smtplib.SMTP("127.0.0.1", mailer.port, timeout=10) as smtp:
        code, text = smtp.ehlo("monitor.example")
        assert code == 250
        assert text.decode().splitlines()[0] == DOMAIN
        assert smtp.has_extn("size") and smtp.esmtp_features["size"] == str(MAX_BYTES)
        assert smtp.has_extn("smtputf8") and smtp.has_extn("8bitmime")


def test_unknown_key_is_550_5_1_1(mailer: Mailer, db: Database) -> None:
    reply = mailer.rcpt(f"{'0' * 31}a@{DOMAIN}")
    assert (reply.code, reply.text) == (550, f"5.1.1 <{'0' * 31}a@{DOMAIN}>: unknown recipient; "
                                             "no alert source has this key")
    assert stored(db) == (0, 0)


def test_a_source_that_is_not_of_type_email_is_550_5_1_1(mailer: Mailer, source: Source) -> None:
    reply = mailer.rcpt(mailer.address(source.key))
    assert reply.code == 550
    assert reply.text.startswith("5.1.1 ") and "integrationType is API, not EMAIL" in reply.text


def test_a_disabled_source_is_550_and_says_so(mailer: Mailer, factory: Factory, team: int, db: Database) -> None:
    disabled = factory.source(teams=(team,), integration_type="EMAIL", status="DISABLED")
    reply = mailer.rcpt(mailer.address(disabled.key))
    assert (reply.code, reply.text) == (550, f"5.2.1 <{mailer.address(disabled.key)}>: the alert source for this "
                                             "address is disabled")
    assert stored(db) == (0, 0)


@pytest.mark.parametrize(("address", "text"), [
    ("someone@example.com", f"5.1.2 <someone@example.com>: this server takes mail only for @{DOMAIN}"),
    (f"@{DOMAIN}", None),
])
def test_other_domains_and_bad_addresses_are_refused(mailer: Mailer, address: str, text: str | None) -> None:
    reply = mailer.rcpt(address)
    assert reply.code in (550, 553), reply
    if text is not None:
        assert reply.text == text


def test_one_bad_recipient_does_not_stop_the_good_one(mailer: Mailer, inbox: Source, client: TestClient,
                                                      admin: Actor) -> None:
    with smtplib.SMTP("127.0.0.1", mailer.port, timeout=10) as smtp:
        refused = smtp.sendmail("nagios@example.com", [f"nobody@{DOMAIN}", mailer.address(inbox.key)],
                                mail("Fire").as_bytes())
    assert refused == {f"nobody@{DOMAIN}": (550, f"5.1.1 <nobody@{DOMAIN}>: unknown recipient; no alert source "
                                                 "has this key".encode())}
    assert len(alerts_of(client, admin, inbox)) == 1


def test_smtplib_reports_an_unknown_recipient_as_refused(mailer: Mailer) -> None:
    with smtplib.SMTP("127.0.0.1", mailer.port, timeout=10) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp.send_message(mail("x"), to_addrs=[f"nobody@{DOMAIN}"])


def test_a_declared_size_over_the_limit_is_552_5_3_4_before_any_data(mailer: Mailer, inbox: Source,
                                                                     db: Database) -> None:
    with mailer.connect() as smtp:
        code, text = smtp.mail("nagios@example.com", [f"SIZE={MAX_BYTES + 1}"])
    assert (code, text.decode()) == (552, f"5.3.4 Message too big: the declared SIZE exceeds the limit of "
                                          f"{MAX_BYTES} bytes")
    assert stored(db) == (0, 0)


def test_data_over_the_limit_is_552_5_3_4_and_nothing_is_stored(mailer: Mailer, inbox: Source,
                                                                db: Database) -> None:
    big = mail("Huge", "a line of text that repeats\n" * (MAX_BYTES // 20))
    reply = mailer.send(mailer.address(inbox.key), big)  # no SIZE declared: the server counts
    assert (reply.code, reply.text) == (552, f"5.3.4 Message too big: it exceeds the limit of {MAX_BYTES} bytes")
    assert stored(db) == (0, 0)
    # The connection stays usable: the next message goes through.
    assert mailer.send(mailer.address(inbox.key), mail("Small")).code == 250


def test_smtplib_sees_the_declared_size_refusal(mailer: Mailer, inbox: Source) -> None:
    big = mail("Huge", ("y" * 70 + "\n") * (MAX_BYTES // 70))
    with smtplib.SMTP("127.0.0.1", mailer.port, timeout=10) as smtp, pytest.raises(smtplib.SMTPSenderRefused) as err:
        smtp.send_message(big, to_addrs=[mailer.address(inbox.key)])  # declares SIZE, as the server offers it
    assert err.value.smtp_code == 552


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\r\n\r\n", "5.6.0 Message not accepted: the message is empty"),
    (b"\x00\x01\x02 binary junk without any header\r\n",
     "5.6.0 Message not accepted: the message has no header fields; send an RFC 5322 email (headers, blank line, "
     "body)"),
])
def test_unreadable_messages_are_554_and_nothing_is_stored(mailer: Mailer, inbox: Source, db: Database,
                                                           raw: bytes, reason: str) -> None:
    reply = mailer.send(mailer.address(inbox.key), raw)
    assert (reply.code, reply.text) == (554, reason)
    assert stored(db) == (0, 0)


def test_command_syntax_errors_are_501(mailer: Mailer) -> None:
    with mailer.connect() as smtp:
        code, _text = smtp.docmd("MAIL", "nagios@example.com")  # missing "FROM:"
        assert code == 501
        code, _text = smtp.docmd("RCPT", "TO:")
        assert code in (501, 503)


def test_too_many_recipients_is_452(mailer: Mailer, inbox: Source) -> None:
    with mailer.connect() as smtp:
        smtp.mail("nagios@example.com")
        codes = [smtp.rcpt(mailer.address(inbox.key))[0] for _ in range(21)]
    assert codes == [250] * 20 + [452]


def test_a_source_disabled_between_rcpt_and_data_gets_the_550(mailer: Mailer, inbox: Source, db: Database) -> None:
    from tocsin.alerts.models import AlertSource

    with mailer.connect() as smtp:
        smtp.mail("nagios@example.com")
        assert smtp.rcpt(mailer.address(inbox.key))[0] == 250
        with db.session(write=True) as session:
            row = session.get(AlertSource, inbox.id)
            assert row is not None
            row.status = "DISABLED"
        code, text = smtp.data(mail("Fire").as_bytes())
    assert (code, text.decode()) == (550, f"5.2.1 <{mailer.address(inbox.key)}>: the alert source for this "
                                          "address is disabled")
    assert stored(db) == (0, 0)
