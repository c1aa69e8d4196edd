"""Messages to one person that are not pages: by push to every device, else by email.

Used for on-call reminders and coverage requests. Each push subscription gets the message; a user
with none gets one email, to their first email contact method or else their account address.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.notifications.dispatch import contact_methods, queue_message
from tocsin.notifications.models import Channel, MessageKind, Notification


def notify_personal(
    session: Session,
    clock: Clock,
    user: User,
    kind: MessageKind,
    key: str,
    *,
    subject: str,
    text: str,
    url: str | None = None,
    links: list[tuple[str, str]] | None = None,
    push: dict[str, Any] | None = None,
    footer: str | None = None,
) -> list[Notification]:
    """Queue the message once per idempotency `key`; `links` are email buttons, `push` extra payload fields."""
    content: dict[str, Any] = {"subject": subject, "text": text}
    if url:
        content["url"] = url
    if links:
        content["links"] = [list(link) for link in links]
    if push:
        content["push"] = push
    if footer:
        content["footer"] = footer
    devices = contact_methods(session, user.id, Channel.PUSH)
    if devices:
        return [queue_message(session, clock, user, m, kind, f"{key}.cm{m.id}", content=content) for m in devices]
    emails = contact_methods(session, user.id, Channel.EMAIL)
    method = emails[0] if emails else None
    suffix = f".cm{method.id}" if method else ".account"
    return [queue_message(session, clock, user, method, kind, key + suffix, content=content)]
