"""AWS CloudWatch alarms through an Amazon SNS HTTPS subscription.

Every message's signature is verified (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) with the
certificate at ``SigningCertURL``, which is fetched only from ``https://sns.<region>.amazonaws.com/…pem``
(``.amazonaws.com.cn`` in the China regions) and cached. A SubscriptionConfirmation is confirmed by a GET
of its ``SubscribeURL``, only when that is an https URL of the same kind of host; it is recorded as a test.

Alarms are keyed by ``AlarmArn``: ALARM raises (HIGH), OK resolves, INSUFFICIENT_DATA raises with LOW
priority (the next OK resolves it). Other messages on the topic raise an alert keyed by the SNS message id.
Optional setting ``topicArn``: messages from any other topic are refused (403).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tocsin.alerts.events import Event
from tocsin.alerts.models import EventType, Priority
from tocsin.errors import Problem
from tocsin.integrations.base import BadPayload, FetchError, InboundRequest, Integration, Parsed
from tocsin.integrations.vendor_values import first_text, obj, objects, text

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$")
TOPIC_ARN = re.compile(r"^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$")
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
STATES = {"ALARM": (EventType.ALERT, Priority.HIGH), "OK": (EventType.RESOLVE, None),
          "INSUFFICIENT_DATA": (EventType.ALERT, Priority.LOW)}


class SignatureRefused(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(403, detail, slug="bad-signature")


def is_sns_url(url: str, *, path_suffix: str = "") -> bool:
    parts = urlsplit(url)
    return (parts.scheme == "https" and parts.port is None and not parts.username
            and SNS_HOST.match(parts.hostname or "") is not None and parts.path.endswith(path_suffix))


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    names = NOTIFICATION_FIELDS if message["Type"] == "Notification" else CONFIRMATION_FIELDS
    lines: list[str] = []
    for name in names:
        value = message.get(name)
        if value is None and name == "Subject":
            continue
        if not isinstance(value, str):
            raise BadPayload(f"SNS message: '{name}' is missing", field=name)
        lines += [name, value]
    return ("\n".join(lines) + "\n").encode()


def verify(request: InboundRequest, message: Mapping[str, Any]) -> None:
    version = message.get("SignatureVersion")
    if version not in HASHES:
        raise SignatureRefused("SNS SignatureVersion must be '1' or '2'")
    cert_url = message.get("SigningCertURL")
    if not isinstance(cert_url, str) or not is_sns_url(cert_url, path_suffix=".pem"):
        raise SignatureRefused("SigningCertURL must be an https URL of sns.<region>.amazonaws.com ending in .pem")
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused("the SNS Signature is not base64") from None
    signed = string_to_sign(message)
    try:
        pem = request.fetcher.get(cert_url, cache=True)
    except FetchError as exc:
        raise Problem(502, f"could not fetch the SNS signing certificate: {exc}", slug="upstream") from None
    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise Problem(502, "the SNS signing certificate is not a PEM certificate", slug="upstream") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureRefused("the SNS signing certificate has no RSA key")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), HASHES[version]())
    except InvalidSignature:
        raise SignatureRefused("the SNS message signature does not verify") from None


def confirm(request: InboundRequest, message: Mapping[str, Any]) -> Parsed:
    url = message.get("SubscribeURL")
    if not isinstance(url, str) or not is_sns_url(url):
        raise SignatureRefused("SubscribeURL must be an https URL of sns.<region>.amazonaws.com; not confirmed")
    try:
        request.fetcher.get(url)
    except FetchError as exc:
        raise Problem(502, f"could not confirm the SNS subscription: {exc}", slug="upstream") from None
    return Parsed(test=True, note=f"SNS subscription to {message['TopicArn']} confirmed")


def alarm_event(alarm: Mapping[str, Any]) -> Event:
    state = alarm.get("NewStateValue")
    if state not in STATES:
        raise BadPayload("CloudWatch alarm: NewStateValue must be ALARM, OK or INSUFFICIENT_DATA",
                         field="Message.NewStateValue")
    name = text(alarm.get("AlarmName")) or "CloudWatch alarm"
    description = text(alarm.get("AlarmDescription"))
    trigger = obj(alarm.get("Trigger"))
    labels = {k: v for k, v in (("region", text(alarm.get("Region"))), ("account", text(alarm.get("AWSAccountId"))),
                                ("namespace", text(trigger.get("Namespace"))),
                                ("metric", text(trigger.get("MetricName")))) if v}
    for dimension in objects(trigger.get("Dimensions")):
        if text(dimension.get("name")) and text(dimension.get("value")):
            labels[dimension["name"]] = dimension["value"]
    event_type, priority = STATES[state]
    key = first_text(alarm.get("AlarmArn")) or f"alarm:{alarm.get('AWSAccountId')}:{alarm.get('Region')}:{name}"
    return Event(
        event_type=event_type,
        alert_key=key,
        summary=f"{name}: {description}" if description else name,
        details=text(alarm.get("NewStateReason")),
        priority=priority,
        labels=labels,
        custom_details={k: alarm[k] for k in ("NewStateValue", "OldStateValue", "StateChangeTime", "Trigger")
                        if alarm.get(k) is not None},
        origin="aws-sns",
    )


def notification(message: Mapping[str, Any]) -> Parsed:
    raw = message["Message"]
    try:
        inner = json.loads(raw)
    except ValueError:
        inner = None
    if isinstance(inner, dict) and "AlarmName" in inner and "NewStateValue" in inner:
        return Parsed(events=[alarm_event(inner)])
    subject = text(message.get("Subject"))
    first_line = next((line for line in raw.splitlines() if line.strip()), "")
    return Parsed(events=[Event(
        event_type=EventType.ALERT,
        alert_key=f"sns:{message['MessageId']}",
        summary=subject or first_line[:1024] or "SNS message",
        details=raw,
        labels={"topic": message["TopicArn"]},
        origin="aws-sns",
    )])


def parse(request: InboundRequest, settings: Mapping[str, Any]) -> Parsed:
    message = request.json_object()
    kind = message.get("Type")
    if kind not in TYPES:
        raise BadPayload(f"not an SNS message: 'Type' must be one of {', '.join(TYPES)}", field="Type")
    header = request.header("x-amz-sns-message-type")
    if header and header != kind:
        raise BadPayload("the x-amz-sns-message-type header and the body's Type differ", field="Type")
    verify(request, message)
    topic = settings.get("topicArn")
    if topic and message.get("TopicArn") != topic:
        raise SignatureRefused(f"this alert source takes messages of topic {topic} only")
    if kind == "SubscriptionConfirmation":
        return confirm(request, message)
    if kind == "UnsubscribeConfirmation":
        return Parsed(test=True, note=f"SNS subscription to {message['TopicArn']} ended")
    return notification(message)


def validate(settings: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(settings) - {"topicArn"}
    if unknown:
        raise Problem(400, f"unknown AWS SNS setting(s) {sorted(unknown)}; the only one is 'topicArn'",
                      field="integrationSettings")
    topic = settings.get("topicArn")
    if topic is None:
        return {}
    if not isinstance(topic, str) or not TOPIC_ARN.match(topic):
        raise Problem(400, "integrationSettings.topicArn must be an SNS topic ARN "
                           "(arn:aws:sns:<region>:<account>:<topic>)", field="integrationSettings.topicArn")
    return {"topicArn": topic}


LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="4" fill="#232f3e"/>'
    '<path d="M5 15c4 3 10 3 14 0" fill="none" stroke="#f90" stroke-width="1.8"/>'
    '<path d="M7 12 10 6l3 6m-5-2h4m3 2V6h3" fill="none" stroke="#fff" stroke-width="1.4"/></svg>'
)

INTEGRATION = Integration(
    type="AWS_CLOUDWATCH",
    name="AWS CloudWatch (via SNS)",
    parse=parse,
    validate_settings=validate,
    category="cloud",
    logo_svg=LOGO,
    setup_steps=(
        "In Amazon SNS open the topic your alarms notify → Create subscription: protocol HTTPS, endpoint {url}, "
        "raw message delivery off. tocsin confirms the subscription itself (see the alert source's inbound events).",
        "Add the topic to each alarm's ALARM and OK actions (INSUFFICIENT_DATA optional: it raises a LOW alert).",
        "Recommended: put the topic's ARN in integrationSettings.topicArn so that no other topic can post here.",
        "Every message's SNS signature is verified; tocsin must be able to reach https://sns.<region>.amazonaws.com.",
    ),
)
