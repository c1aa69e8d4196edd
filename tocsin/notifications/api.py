"""Routes: /api/users/me/contact-methods and /api/users/me/notification-rules."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tocsin.alerts.models import Priority
from tocsin.deps import CurrentUser, DbSession, State
from tocsin.notifications import contact_methods
from tocsin.notifications.rules import RuleStep, rules_for, set_rules
from tocsin.notifications.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    ContactMethodUpdate,
    NotificationRulesIo,
    RuleStepIo,
    TestSent,
)
from tocsin.schemas import PathId

router = APIRouter(prefix="/api/users/me", tags=["notifications"])


@router.get("/contact-methods", response_model=list[ContactMethodOut])
def list_contact_methods(session: DbSession, user: CurrentUser) -> list[ContactMethodOut]:
    return [ContactMethodOut.of(m) for m in contact_methods.list_own(session, user)]


@router.post("/contact-methods", status_code=201, response_model=ContactMethodOut)
def add_contact_method(body: ContactMethodIn, session: DbSession, user: CurrentUser, state: State) -> ContactMethodOut:
    return ContactMethodOut.of(contact_methods.add(session, state.clock, state.settings, user, body))


@router.put("/contact-methods/{method_id}", response_model=ContactMethodOut)
def update_contact_method(method_id: PathId, body: ContactMethodUpdate, session: DbSession,
                          user: CurrentUser) -> ContactMethodOut:
    method = contact_methods.get_own(session, user, method_id)
    if "label" in body.model_fields_set:
        method.label = body.label
    if body.send_updates is not None:
        method.send_updates = body.send_updates
    return ContactMethodOut.of(method)


@router.delete("/contact-methods/{method_id}", status_code=204)
def delete_contact_method(method_id: PathId, session: DbSession, user: CurrentUser) -> Response:
    session.delete(contact_methods.get_own(session, user, method_id))
    return Response(status_code=204)


@router.post("/contact-methods/{method_id}/test", status_code=202, response_model=TestSent)
def send_test(method_id: PathId, session: DbSession, user: CurrentUser, state: State) -> TestSent:
    """Queue a test message to this contact method; its result shows in the notification's status."""
    method = contact_methods.get_own(session, user, method_id)
    row = contact_methods.send_test(session, state.clock, user, method)
    return TestSent(notification_id=row.id, status=row.status)


def _rules(session: DbSession, user_id: int) -> NotificationRulesIo:
    def steps(priority: Priority) -> list[RuleStepIo]:
        return [RuleStepIo(channel=s.channel, delay_min=s.delay_minutes) for s in rules_for(session, user_id, priority)]

    return NotificationRulesIo(high=steps(Priority.HIGH), low=steps(Priority.LOW))


@router.get("/notification-rules", response_model=NotificationRulesIo)
def get_rules(session: DbSession, user: CurrentUser) -> NotificationRulesIo:
    return _rules(session, user.id)


@router.put("/notification-rules", response_model=NotificationRulesIo)
def put_rules(body: NotificationRulesIo, session: DbSession, user: CurrentUser) -> NotificationRulesIo:
    """Replace both rule sets. Steps are kept in order of their delay."""
    set_rules(session, user.id, Priority.HIGH, [RuleStep(s.channel, s.delay_min) for s in body.high])
    set_rules(session, user.id, Priority.LOW, [RuleStep(s.channel, s.delay_min) for s in body.low])
    return _rules(session, user.id)
