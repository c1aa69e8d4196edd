"""AWS CloudWatch through SNS at the real endpoint: signatures, subscription confirmation, host rules.

The fixtures are signed by a throwaway key whose certificate is in the fixtures; the app's fetcher is
replaced by one that serves that certificate, as AWS would at the SigningCertURL. Messages that test the
host rules are signed here with a key made for the test.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem
from tests.conftest import Actor
from tests.integrations.helpers import FixtureFetcher, case
from tests.integrations.test_integrations_api import alerts, make_source, post_case, stored_rows
from tests.live import self_signed_certificate, serve
from tocsin.db import Database
from tocsin.integrations.base import FetchError
from tocsin.integrations.fetch import HttpsFetcher
from tocsin.integrations.vendors.aws_sns import string_to_sign

TOPIC = "arn:aws:sns:us-east-1:123456789012:tocsin-alarms"
OWN_CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"


@pytest.fixture
def fetcher(app: FastAPI) -> FixtureFetcher:
    fake = FixtureFetcher.for_sns()
    app.state.tocsin.fetcher = fake
    return fake


def test_alarm_then_ok_opens_and_resolves(client: TestClient, admin: Actor, team: int,
                                          fetcher: FixtureFetcher) -> None:
    key = make_source(client, admin, team, "AWS_CLOUDWATCH", {"topicArn": TOPIC})["integrationKey"]
    assert post_case(client, key, "aws-cloudwatch", "alarm.json").status_code == 202
    [alert] = alerts(client, admin)
    assert alert["alertKey"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-prod-cpu-high"
    assert (alert["summary"], alert["priority"]) == ("web-prod-cpu-high: CPU above 80% on web-prod-1", "HIGH")
    assert alert["labels"]["InstanceId"] == "i-0a1b2c3d4e5f67890"
    # SNS retries with the same message: absorbed by the open alert.
    assert post_case(client, key, "aws-cloudwatch", "alarm.json").json()["events"][0]["outcome"] == "APPENDED"
    assert post_case(client, key, "aws-cloudwatch", "ok.json").status_code == 202
    assert alerts(client, admin)[0]["state"] == "RESOLVED"
    insufficient = post_case(client, key, "aws-cloudwatch", "insufficient_data.json")
    assert insufficient.json()["events"][0]["outcome"] == "CREATED"
    assert alerts(client, admin)[-1]["priority"] == "LOW"


def test_subscription_is_confirmed_and_recorded(client: TestClient, admin: Actor, team: int,
                                                fetcher: FixtureFetcher) -> None:
    source = make_source(client, admin, team, "AWS_CLOUDWATCH")
    answer = post_case(client, source["integrationKey"], "aws-cloudwatch", "subscription_confirmation.json")
    assert answer.status_code == 202, answer.text
    assert answer.json()["test"] is True
    confirmation = json.loads(case("aws-cloudwatch", "subscription_confirmation.json").body)["SubscribeURL"]
    assert fetcher.fetched[-1] == confirmation
    [row] = client.get(f"/api/alert-sources/{source['id']}/inbound-events", headers=admin.headers).json()["items"]
    assert row["outcome"] == "TEST" and row["reason"] == f"SNS subscription to {TOPIC} confirmed"
    assert alerts(client, admin) == []


def test_a_tampered_message_is_refused(client: TestClient, admin: Actor, team: int, db: Database,
                                       fetcher: FixtureFetcher) -> None:
    key = make_source(client, admin, team, "AWS_CLOUDWATCH")["integrationKey"]
    refused = problem(post_case(client, key, "aws-cloudwatch", "alarm_tampered.json"), 403)
    assert "signature does not verify" in refused["detail"]
    assert stored_rows(db) == 0


def test_another_topic_is_refused_when_the_source_names_its_topic(client: TestClient, admin: Actor, team: int,
                                                                  db: Database, fetcher: FixtureFetcher) -> None:
    other = "arn:aws:sns:us-east-1:123456789012:somebody-else"
    key = make_source(client, admin, team, "AWS_CLOUDWATCH", {"topicArn": other})["integrationKey"]
    problem(post_case(client, key, "aws-cloudwatch", "alarm.json"), 403)
    assert stored_rows(db) == 0
    bad = client.post("/api/alert-sources", headers=admin.headers,
                      json={"name": "x", "integrationType": "AWS_CLOUDWATCH",
                            "integrationSettings": {"topicArn": "not an arn"}})
    assert problem(bad, 400)["field"] == "integrationSettings.topicArn"


def test_an_unreachable_certificate_is_502_so_sns_retries(client: TestClient, admin: Actor, team: int,
                                                          db: Database, fetcher: FixtureFetcher) -> None:
    fetcher.pages.clear()
    key = make_source(client, admin, team, "AWS_CLOUDWATCH")["integrationKey"]
    assert "signing certificate" in problem(post_case(client, key, "aws-cloudwatch", "alarm.json"), 502)["detail"]
    assert stored_rows(db) == 0


# --- host rules, with messages signed here ---------------------------------------------------


def own_signer() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM)


def signed(key: rsa.RSAPrivateKey, message: dict[str, Any]) -> bytes:
    message = {**message, "SignatureVersion": "2"}
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
    return json.dumps({**message, "Signature": base64.b64encode(signature).decode()}).encode()


def confirmation(subscribe_url: str, cert_url: str = OWN_CERT_URL) -> dict[str, Any]:
    return {"Type": "SubscriptionConfirmation", "MessageId": "m-1", "Token": "t", "TopicArn": TOPIC,
            "Message": "confirm", "SubscribeURL": subscribe_url, "Timestamp": "2026-03-02T09:00:00.000Z",
            "SigningCertURL": cert_url}


@pytest.mark.parametrize("subscribe_url", [
    "https://evil.example.com/?Action=ConfirmSubscription",
    "http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
    "https://sns.eu-west-1.amazonaws.com.evil.example/?Action=ConfirmSubscription",
    "https://sns.eu-west-1.amazonaws.com:8443/?Action=ConfirmSubscription",
    "https://user@sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
])
def test_a_subscribe_url_off_amazon_is_never_fetched(client: TestClient, admin: Actor, team: int, db: Database,
                                                     fetcher: FixtureFetcher, subscribe_url: str) -> None:
    private, pem = own_signer()
    fetcher.pages[OWN_CERT_URL] = pem
    key = make_source(client, admin, team, "AWS_CLOUDWATCH")["integrationKey"]
    body = signed(private, confirmation(subscribe_url))
    assert "SubscribeURL" in problem(client.post(f"/api/integrations/{key}", content=body), 403)["detail"]
    assert fetcher.fetched == [OWN_CERT_URL]
    assert stored_rows(db) == 0


def test_a_correctly_signed_confirmation_with_an_amazon_url_is_confirmed(client: TestClient, admin: Actor, team: int,
                                                                         fetcher: FixtureFetcher) -> None:
    private, pem = own_signer()
    fetcher.pages[OWN_CERT_URL] = pem
    key = make_source(client, admin, team, "AWS_CLOUDWATCH")["integrationKey"]
    url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t"
    assert client.post(f"/api/integrations/{key}", content=signed(private, confirmation(url))).status_code == 202
    assert fetcher.fetched == [OWN_CERT_URL, url]


@pytest.mark.parametrize("cert_url", [
    "https://evil.example.com/cert.pem",
    "http://sns.us-east-1.amazonaws.com/cert.pem",
    "https://sns.us-east-1.amazonaws.com/cert.txt",
    "https://sns.us-east-1.amazonaws.com@evil.example/cert.pem",
])
def test_a_certificate_off_amazon_is_never_fetched(client: TestClient, admin: Actor, team: int,
                                                   fetcher: FixtureFetcher, cert_url: str) -> None:
    private, _pem = own_signer()
    key = make_source(client, admin, team, "AWS_CLOUDWATCH")["integrationKey"]
    body = signed(private, confirmation("https://sns.us-east-1.amazonaws.com/?Action=x", cert_url))
    assert "SigningCertURL" in problem(client.post(f"/api/integrations/{key}", content=body), 403)["detail"]
    assert fetcher.fetched == []


def test_the_default_fetcher_over_real_https(tmp_path: Path) -> None:
    hits: list[str] = []
    site = FastAPI()

    @site.get("/{name}")
    def page(name: str) -> Response:
        hits.append(name)
        if name == "missing.pem":
            return Response(status_code=404)
        if name == "moved.pem":
            return Response(status_code=302, headers={"Location": "https://evil.example/"})
        return Response(b"x" * (70_000 if name == "huge.pem" else 10))

    tls = self_signed_certificate(tmp_path)
    fetcher = HttpsFetcher(timeout_seconds=5, verify=ssl.create_default_context(cafile=str(tls[1])))
    with serve(site, tls=tls) as base:
        assert fetcher.get(f"{base}/cert.pem", cache=True) == b"x" * 10
        assert fetcher.get(f"{base}/cert.pem", cache=True) == b"x" * 10
        assert hits == ["cert.pem"]
        fetcher.get(f"{base}/cert.pem")
        assert hits == ["cert.pem", "cert.pem"]
        for name, words in (("missing.pem", "404"), ("moved.pem", "302"), ("huge.pem", "larger")):
            with pytest.raises(FetchError, match=words):
                fetcher.get(f"{base}/{name}", cache=True)
    with pytest.raises(FetchError, match="only https"):
        fetcher.get("http://sns.us-east-1.amazonaws.com/x.pem")
