"""A user's own contact methods: add, change, remove, send a test."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.errors import bad_request, not_found
from tocsin.notifications import ssrf
from tocsin.notifications.dispatch import queue_message
from tocsin.notifications.models import Channel, ContactMethod, MessageKind, Notification
from tocsin.notifications.schemas import ContactMethodIn, contact_data
from tocsin.settings import Settings


def list_own(session: Session, user: User) -> list[ContactMethod]:
    query = select(ContactMethod).where(ContactMethod.user_id == user.id).order_by(ContactMethod.id)
    return list(session.scalars(query))


def get_own(session: Session, user: User, method_id: int) -> ContactMethod:
    method = session.get(ContactMethod, method_id)
    if method is None or method.user_id != user.id:
        raise not_found("contact method")
    return method


def add(session: Session, clock: Clock, settings: Settings, user: User, body: ContactMethodIn) -> ContactMethod:
    if body.channel in (Channel.SLACK, Channel.TEAMS, Channel.WEBHOOK):  # checked again before every send
        problem = ssrf.url_problem(body.address, allow_private=settings.allow_private_webhooks)
        if problem is not None:
            raise bad_request(f"address: {problem}", field="address")
    method = ContactMethod(user_id=user.id, channel=body.channel.value, address=body.address, label=body.label,
                           data=contact_data(body), send_updates=body.send_updates, created_at=clock.now())
    session.add(method)
    session.flush()
    return method


def send_test(session: Session, clock: Clock, user: User, method: ContactMethod) -> Notification:
    """Queue a test message; its result shows in the notification's status."""
    key = f"test.cm{method.id}.{clock.now().timestamp()}"
    return queue_message(session, clock, user, method, MessageKind.TEST, key)
