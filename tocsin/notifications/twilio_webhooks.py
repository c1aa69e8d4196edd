"""Twilio's calls to us: SMS replies ("3a" accepts, "3r" resolves) and the key pressed during a voice call.

Both answer TwiML. Every request must carry a valid X-Twilio-Signature for the URL Twilio was given,
which is our public base URL (TOCSIN_BASE_URL) plus the path, whatever address a proxy forwarded to.

- POST /api/webhooks/twilio/sms: the sender's number (From) finds the alert SMS of the last 24 hours
  that showed the code; the action runs through the alert service as the user that SMS went to, who
  must still be able to see the alert and act on it.
- POST /api/webhooks/twilio/voice/{token}: the <Gather> action of an alert call. The token is the
  call's signed action token (alert + user); it says which alert and who, the digit says what:
  1 accepts, 2 resolves. Only Twilio can call it (the signature), so the token needs no further scope.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import lifecycle, service
from tocsin.alerts.models import Alert, LogKind
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.deps import DbSession, State, app_state
from tocsin.errors import Problem
from tocsin.notifications import action_tokens
from tocsin.notifications.action_tokens import AlertAction, InvalidToken
from tocsin.notifications.channels.twilio import (
    WEBHOOK_PREFIX,
    TwilioConfig,
    find_by_reply_code,
    gather,
    public_url,
    say,
    signature_matches,
    twiml,
)
from tocsin.notifications.models import Channel, ContactMethod
from tocsin.notifications.schemas import E164

router = APIRouter(prefix=WEBHOOK_PREFIX, tags=["webhooks"])

MAX_TOKEN_LENGTH = 1024
REPLY = re.compile(r"\s*(\d{1,6})\s*([ar])\s*", re.IGNORECASE)
HELP = "To act on an alert, reply with the code from its message and a to accept or r to resolve, e.g. 3a or 3r."
DIGITS = {"1": AlertAction.ACCEPT, "2": AlertAction.RESOLVE}
_DONE = {AlertAction.ACCEPT: "accepted", AlertAction.RESOLVE: "resolved"}


def _form_doc(description: str, fields: dict[str, str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": {name: {"type": "string", "description": text}
                                               for name, text in fields.items()}}
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/x-www-form-urlencoded": {"schema": schema}}}}


_TWIML_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML", "content": {"application/xml": {"schema": {"type": "string"}}}},
}


async def _signed_params(request: Request) -> dict[str, str]:
    """The form parameters of a request Twilio signed; 403 for any other request."""
    state = app_state(request)
    config = TwilioConfig.from_settings(state.settings)
    if config is None:
        raise Problem(404, "SMS and voice (Twilio) are not configured on this server")
    try:
        params = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "expected a form-encoded body") from None
    url = public_url(state.settings.base_url, request.url.path, request.url.query)
    if not signature_matches(config.auth_token, url, params, request.headers.get("x-twilio-signature", "")):
        raise Problem(403, "the X-Twilio-Signature header does not match this request", slug="bad-signature")
    return dict(params)


SignedParams = Annotated[dict[str, str], Depends(_signed_params)]


def _xml(root: ET.Element) -> Response:
    return Response(twiml(root), media_type="application/xml")


class Result(StrEnum):
    DONE = "DONE"
    ALREADY = "ALREADY"  # nothing to change: accepted or resolved before
    RESOLVED = "RESOLVED"  # accepting a resolved alert
    NO_ACCESS = "NO_ACCESS"
    READ_ONLY = "READ_ONLY"


@dataclass(frozen=True)
class Outcome:
    result: Result
    action: AlertAction
    alert_id: int
    summary: str = ""
    state: str = ""


def act(session: Session, clock: Clock, user: User, alert_id: int, action: AlertAction, via: str) -> Outcome:
    """Accept or resolve through the alert service as `user`; what happened, for the answer."""
    before = session.scalar(select(Alert.state).where(Alert.id == alert_id))
    try:
        if action is AlertAction.ACCEPT:
            alert = service.accept(session, clock, user, alert_id)
        else:
            alert = service.resolve(session, clock, user, alert_id)
    except Problem as problem:
        if problem.status == 404:
            return Outcome(Result.NO_ACCESS, action, alert_id)
        if problem.status == 403:
            return Outcome(Result.READ_ONLY, action, alert_id)
        if problem.status == 409:
            return Outcome(Result.RESOLVED, action, alert_id)
        raise
    if before == alert.state:
        return Outcome(Result.ALREADY, action, alert.id, alert.summary, alert.state)
    lifecycle.add_log(session, clock, alert, LogKind.NOTIFICATION, f"{user.name} {_DONE[action]} the alert {via}",
                      actor=user, data={"via": via})
    return Outcome(Result.DONE, action, alert.id, alert.summary, alert.state)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def sms_answer(outcome: Outcome) -> str:
    label = f"#{outcome.alert_id} {_clip(outcome.summary, 120)}".strip()
    match outcome.result:
        case Result.DONE:
            return f"{_DONE[outcome.action].capitalize()}: {label}"
        case Result.ALREADY:
            return f"Already {outcome.state.lower()}: {label}"
        case Result.RESOLVED:
            return f"Alert #{outcome.alert_id} is already resolved; it cannot be accepted."
        case Result.NO_ACCESS:
            return f"You no longer have access to alert #{outcome.alert_id}."
        case Result.READ_ONLY:
            return "Your tocsin role gives read-only access to alerts."


def spoken_answer(outcome: Outcome) -> str:
    match outcome.result:
        case Result.DONE:
            return f"Alert {outcome.alert_id} {_DONE[outcome.action]}."
        case Result.ALREADY:
            return f"Alert {outcome.alert_id} was already {outcome.state.lower()}."
        case Result.RESOLVED:
            return f"Alert {outcome.alert_id} is already resolved."
        case Result.NO_ACCESS:
            return "You no longer have access to this alert."
        case Result.READ_ONLY:
            return "Your tocsin role gives read-only access to alerts."


def sms_reply(session: Session, clock: Clock, sender: str, body: str) -> str:
    """The answer to an SMS from `sender`, having acted on the alert its code names."""
    known = E164.fullmatch(sender) and session.scalar(
        select(ContactMethod.id).where(ContactMethod.channel == Channel.SMS.value, ContactMethod.address == sender)
        .limit(1))
    if not known:
        return "This phone number is not set up for SMS in tocsin."
    match = REPLY.fullmatch(body)
    if match is None:
        return HELP
    code, action = int(match[1]), AlertAction.ACCEPT if match[2].lower() == "a" else AlertAction.RESOLVE
    row = find_by_reply_code(session, sender, code, clock.now())
    if row is None or row.alert_id is None:
        return f"No alert message with code {code} was sent to this number in the last 24 hours. {HELP}"
    user = session.get(User, row.user_id)
    if user is None:
        return f"No alert message with code {code} was sent to this number in the last 24 hours."
    return sms_answer(act(session, clock, user, row.alert_id, action, "by SMS reply"))


@router.post("/sms", response_class=Response, responses=_TWIML_ANSWER, openapi_extra=_form_doc(
    "An incoming SMS, as Twilio posts it (only the fields used are listed); signed with X-Twilio-Signature.",
    {"From": "the sender's phone number, E.164", "Body": "the text: a reply code and a or r, e.g. 3a"}))
def incoming_sms(params: SignedParams, session: DbSession, state: State) -> Response:
    """Twilio's incoming-message webhook: '<code>a' accepts, '<code>r' resolves. Answers TwiML <Message>."""
    # The session wakes an in-process worker after its commit when the change queued work.
    text = sms_reply(session, state.clock, params.get("From", "").strip(), params.get("Body", ""))
    root = ET.Element("Response")
    ET.SubElement(root, "Message").text = text
    return _xml(root)


@router.post("/voice/{token}", response_class=Response, responses=_TWIML_ANSWER, openapi_extra=_form_doc(
    "The key pressed during an alert call (<Gather> action); signed with X-Twilio-Signature.",
    {"Digits": "1 to accept, 2 to resolve"}))
def voice_digits(token: str, params: SignedParams, request: Request, session: DbSession, state: State) -> Response:
    """Twilio's <Gather> action for an alert call: 1 accepts, 2 resolves. Answers TwiML <Say>."""
    root = ET.Element("Response")
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed action token")
        grant = action_tokens.verify(session, state.clock, token)
    except InvalidToken:
        say(root, "This call can no longer be used to act on the alert. Please open tocsin. Goodbye.")
        return _xml(root)
    user = session.get(User, grant.user_id)
    action = DIGITS.get(params.get("Digits", "").strip())
    if user is None:
        say(root, "This call can no longer be used to act on the alert. Goodbye.")
    elif action is None:
        again = public_url(state.settings.base_url, request.url.path)
        gather(root, again, "Sorry, that key does nothing here. Press 1 to accept, 2 to resolve.")
        say(root, "Goodbye.")
    else:
        say(root, spoken_answer(act(session, state.clock, user, grant.alert_id, action, "by phone")), "Goodbye.")
    return _xml(root)
