"""The SSRF guard for outgoing webhooks: which addresses are refused, pinning to the checked address,
the 400 when a contact method is created, and the refusal at send time (no request goes out)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tests.live import serve
from tests.notifications.conftest import ChatReceiver
from tocsin.app import create_app
from tocsin.clock import FrozenClock
from tocsin.db import Database
from tocsin.engine.worker import Worker
from tocsin.notifications import ssrf
from tocsin.notifications.models import Channel, ContactMethod, MessageStatus, Notification
from tocsin.settings import Settings


def no_dns(host: str, port: int) -> Sequence[str]:
    raise AssertionError(f"an IP literal must not be resolved ({host})")


def fake_dns(answers: dict[str, list[str]]) -> ssrf.Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return answers[host]

    return resolve


REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://127.8.9.10:8080/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://10.255.255.254/hook", "private"),
    ("http://172.16.0.1/hook", "private"),
    ("http://172.31.255.254/hook", "private"),
    ("http://192.168.0.1/hook", "private"),
    ("http://192.168.255.254/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://169.254.0.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://100.127.255.254/", "carrier-grade NAT"),
    ("http://[::ffff:127.0.0.1]/", "loopback address (127.0.0.1 wrapped in IPv6)"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[2002:c0a8:0101::1]/", "private"),  # 6to4 around 192.168.1.1
    ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64 around 127.0.0.1
    ("http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/", "not a public"),  # Teredo
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://0.1.2.3/", "not a public"),  # "this network"
    ("http://192.0.2.10/", "not a public"),  # documentation range
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_internal_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(ssrf.UnsafeURL, match="refused") as refused:
        ssrf.vet(url, allow_private=False, resolver=no_dns)
    assert reason in str(refused.value)


@pytest.mark.parametrize("url", ["http://127.1/", "http://0x7f000001/", "http://2130706433/", "http://0177.0.0.1/"])
def test_odd_spellings_of_loopback_are_refused(url: str) -> None:
    """Either the URL parser rejects them or the resolver turns them into 127.0.0.1, which is refused."""
    with pytest.raises(ssrf.UnsafeURL, match=r"loopback|not a valid URL"):
        ssrf.vet(url, allow_private=False)


def test_a_host_name_that_resolves_to_loopback_is_refused() -> None:
    """"localhost" resolves through /etc/hosts: no network traffic."""
    with pytest.raises(ssrf.UnsafeURL, match=r"localhost resolves to (127\.0\.0\.1|::1), which is a loopback"):
        ssrf.vet("http://localhost:8080/hook", allow_private=False)


def test_one_internal_answer_among_public_ones_refuses_the_host() -> None:
    dns = fake_dns({"hooks.example.com": ["8.8.8.8", "10.1.2.3"]})
    with pytest.raises(ssrf.UnsafeURL, match=r"hooks\.example\.com resolves to 10\.1\.2\.3, which is a private"):
        ssrf.vet("https://hooks.example.com/x", allow_private=False, resolver=dns)


@pytest.mark.parametrize("url", ["https://8.8.8.8/hook", "http://1.1.1.1:8080/a?b=c", "https://[2606:4700:4700::1111]/x"])
def test_public_addresses_are_allowed(url: str) -> None:
    target = ssrf.vet(url, allow_private=False, resolver=no_dns)
    assert len(target.addresses) == 1 and target.addresses[0] in url


@pytest.mark.parametrize("url", ["http://[::ffff:8.8.8.8]/", "http://[64:ff9b::808:808]/"])
def test_public_ipv4_addresses_wrapped_in_ipv6_are_allowed(url: str) -> None:
    """IPv4-mapped, and NAT64 as an IPv6-only host with DNS64 sees every IPv4-only webhook."""
    assert ssrf.vet(url, allow_private=False, resolver=no_dns).addresses


def test_a_public_host_name_is_pinned_to_what_it_resolved_to() -> None:
    dns = fake_dns({"hooks.slack.com": ["8.8.8.8", "2606:4700:4700::1111"]})
    target = ssrf.vet("https://Hooks.Slack.com/services/T/B/X", allow_private=False, resolver=dns)
    assert target == ssrf.Target(url="https://hooks.slack.com/services/T/B/X", scheme="https", host="hooks.slack.com",
                                 port=443, addresses=("8.8.8.8", "2606:4700:4700::1111"))


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://8.8.8.8/hook", "only http:// and https://"),
    ("file:///etc/passwd", "only http:// and https://"),
    ("gopher://8.8.8.8:70/", "only http:// and https://"),
    ("https://user:password@8.8.8.8/hook", "user name or password"),
    ("https://token@8.8.8.8/hook", "user name or password"),
    ("http:///hook", "no host"),
    ("https://8.8.8.8:99999/", "not a valid URL"),
])
def test_malformed_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(ssrf.UnsafeURL, match=reason):
        ssrf.vet(url, allow_private=False, resolver=no_dns)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://[::1]/x", "http://10.0.0.1/x", "http://100.64.0.1/",
                                 "http://192.168.1.1/x", "http://[fd00::1]/"])
def test_the_admin_setting_allows_loopback_and_private_addresses(url: str) -> None:
    assert ssrf.vet(url, allow_private=True, resolver=no_dns).addresses


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://0.0.0.0/",
                                 "http://224.0.0.1/", "http://[::ffff:169.254.169.254]/"])
def test_metadata_unspecified_and_multicast_stay_refused_even_when_private_is_allowed(url: str) -> None:
    with pytest.raises(ssrf.UnsafeURL) as refused:
        ssrf.vet(url, allow_private=True, resolver=no_dns)
    assert ssrf.ALLOW_SETTING not in str(refused.value), "the setting would not help: do not suggest it"


def test_an_unresolvable_host_is_not_found_not_unsafe() -> None:
    def nxdomain(host: str, port: int) -> Sequence[str]:
        raise ssrf.HostNotFound(f"the host {host} could not be resolved")

    with pytest.raises(ssrf.HostNotFound):
        ssrf.vet("https://nowhere.invalid/", allow_private=False, resolver=nxdomain)
    assert ssrf.url_problem("https://nowhere.invalid/", allow_private=False, resolver=nxdomain) == (
        "the host nowhere.invalid could not be resolved; check the URL")


# -- the request goes to the checked address ----------------------------------------------------------------


def test_the_request_connects_to_the_vetted_address_and_never_resolves_again(
    chat_receiver: ChatReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(chat_receiver.url.rsplit(":", 1)[1])
    target = ssrf.vet(f"http://hooks.rebind.test:{port}/hook", allow_private=True,
                      resolver=fake_dns({"hooks.rebind.test": ["127.0.0.1"]}))

    system_getaddrinfo = socket.getaddrinfo

    def rebound(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "127.0.0.1":  # connecting to an IP literal goes through getaddrinfo too, without DNS
            raise AssertionError(f"{host} was resolved again after the check (the DNS rebinding window)")
        return system_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    with ssrf.pinned_client(target, timeout=5) as client:
        response = client.post(target.url, json={"a": 1})
    assert response.status_code == 200
    [request] = chat_receiver.requests
    assert request.headers["host"] == f"hooks.rebind.test:{port}", "the Host header keeps the name"


def test_a_pinned_client_sends_nowhere_but_its_target(chat_receiver: ChatReceiver) -> None:
    target = ssrf.vet(f"{chat_receiver.url}/hook", allow_private=True)
    with ssrf.pinned_client(target, timeout=5) as client, pytest.raises(httpx.ConnectError, match="not the URL"):
        client.post("http://other.test/hook")
    assert chat_receiver.requests == []


def test_redirects_are_not_followed(chat_receiver: ChatReceiver) -> None:
    chat_receiver.answer("/hook", 307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    target = ssrf.vet(f"{chat_receiver.url}/hook", allow_private=True)
    with ssrf.pinned_client(target, timeout=5) as client:
        response = client.post(target.url, json={})
    assert response.status_code == 307
    assert [r.path for r in chat_receiver.requests] == ["/hook"]


def test_a_huge_answer_is_read_only_up_to_the_cap(chat_receiver: ChatReceiver) -> None:
    chat_receiver.answer("/hook", 200, "x" * (ssrf.MAX_RESPONSE_BYTES * 4))
    target = ssrf.vet(f"{chat_receiver.url}/hook", allow_private=True)
    with ssrf.pinned_client(target, timeout=5) as client:
        response = client.post(target.url, json={})
    assert len(response.content) == ssrf.MAX_RESPONSE_BYTES


@pytest.mark.parametrize(("certificate_for", "verified"), [("hooks.pinned.test", True), ("other.test", False)])
def test_tls_checks_the_certificate_against_the_host_name_not_the_pinned_address(
    tmp_path: Path, certificate_for: str, verified: bool
) -> None:
    ca = trustme.CA()
    server_cert = ca.issue_cert(certificate_for)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    server_cert.private_key_pem.write_to_path(str(key))
    server_cert.cert_chain_pems[0].write_to_path(str(cert))
    receiver = ChatReceiver()
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    with serve(receiver.app(), tls=(key, cert)) as url:
        port = int(url.rsplit(":", 1)[1])
        target = ssrf.vet(f"https://hooks.pinned.test:{port}/hook", allow_private=True,
                          resolver=fake_dns({"hooks.pinned.test": ["127.0.0.1"]}))
        with ssrf.pinned_client(target, timeout=5, ssl_context=trusted) as client:
            if verified:
                assert client.post(target.url, json={}).status_code == 200
            else:
                with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
                    client.post(target.url, json={})
    assert len(receiver.requests) == (1 if verified else 0)


# -- contact methods: a clear 400 when created ----------------------------------------------------------------


@pytest.mark.parametrize(("channel", "address", "needle"), [
    ("WEBHOOK", "http://127.0.0.1:9000/hook", "127.0.0.1 is a loopback address"),
    ("WEBHOOK", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("SLACK", "http://localhost/services/x", "localhost resolves to"),
    ("TEAMS", "https://10.0.0.5/workflows/x", "private network"),
    ("WEBHOOK", "http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("WEBHOOK", "https://user:pw@8.8.8.8/hook", "user name or password"),
])
def test_creating_a_contact_method_with_an_internal_url_is_a_400(
    client: TestClient, responder: Actor, channel: str, address: str, needle: str
) -> None:
    answer = problem(client.post("/api/users/me/contact-methods", headers=responder.headers,
                                 json={"channel": channel, "address": address}), 400)
    assert answer["field"] == "address" and needle in answer["detail"], answer
    assert client.get("/api/users/me/contact-methods", headers=responder.headers).json() == []


def test_a_public_url_is_accepted(client: TestClient, responder: Actor) -> None:
    created = client.post("/api/users/me/contact-methods", headers=responder.headers,
                          json={"channel": "WEBHOOK", "address": "https://8.8.8.8/hook",
                                "secret": "0123456789abcdef"})
    assert created.status_code == 201, created.text


def test_internal_urls_are_accepted_when_the_admin_allows_them(
    settings: Settings, db: Database, clock: FrozenClock, responder: Actor
) -> None:
    app = create_app(replace(settings, allow_private_webhooks=True), db=db, clock=clock)
    with TestClient(app) as client:
        created = client.post("/api/users/me/contact-methods", headers=responder.headers,
                              json={"channel": "WEBHOOK", "address": "http://127.0.0.1:9000/hook"})
        assert created.status_code == 201, created.text
        # The metadata service stays out of reach even then.
        problem(client.post("/api/users/me/contact-methods", headers=responder.headers,
                            json={"channel": "WEBHOOK", "address": "http://169.254.169.254/"}), 400)


# -- sending: refused again right before the request -----------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.SLACK, Channel.TEAMS, Channel.WEBHOOK])
def test_a_send_to_a_refused_address_fails_with_a_reason_and_sends_nothing(
    client: TestClient, db: Database, clock: FrozenClock, worker: Worker, responder: Actor,
    chat_receiver: ChatReceiver, channel: Channel,
) -> None:
    """The address passed when it was saved (DNS said otherwise then, or the setting was on); not any more."""
    with db.session(write=True) as session:
        method = ContactMethod(user_id=responder.id, channel=channel.value, address=f"{chat_receiver.url}/hook",
                               data={"secret": "0123456789abcdef"}, created_at=clock.now())
        session.add(method)
        session.flush()
        method_id = method.id
    sent = client.post(f"/api/users/me/contact-methods/{method_id}/test", headers=responder.headers)
    assert sent.status_code == 202, sent.text
    worker.run_until_idle()
    with db.session() as session:
        [row] = session.scalars(select(Notification))
        assert row.status == MessageStatus.FAILED.value
        assert row.last_error is not None and "127.0.0.1 is a loopback address" in row.last_error
        assert ssrf.ALLOW_SETTING in row.last_error
        assert row.attempts == 1, "a refusal is final: no retries"
    assert chat_receiver.requests == []
