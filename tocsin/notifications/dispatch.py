"""Deciding what to send: rule steps, outbox rows, throttles and bundles, updates.

Everything here writes rows in the caller's transaction; nothing talks to a provider. The sender
(`sender.py`) delivers the QUEUED rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.alerts import lifecycle
from tocsin.alerts.models import Alert, AlertState, LogKind, Priority
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.notifications.content import render
from tocsin.notifications.models import Channel, ContactMethod, MessageKind, MessageStatus, Notification
from tocsin.notifications.rules import rules_for

STEP = "notification.step"
SEND = "notification.send"
BUNDLE = "notification.bundle"

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMITS = {Channel.VOICE: 3, Channel.SMS: 5}
THROTTLED = "throttled"


def page_user(session: Session, clock: Clock, alert: Alert, user: User, *, reason: str) -> None:
    """Start the user's notification rules for the alert's priority; steps due now run at once."""
    steps = rules_for(session, user.id, Priority(alert.priority))
    if not steps:
        lifecycle.add_log(session, clock, alert, LogKind.NOTIFICATION,
                          f"{user.name} has no notification rules for {alert.priority} alerts")
        return
    for position, step in enumerate(steps):
        key = f"alert{alert.id}.{reason}.user{user.id}.step{position}"
        if step.delay_minutes == 0:
            run_step(session, clock, alert, user, step.channel, key)
        else:
            payload = {"alertId": alert.id, "userId": user.id, "channel": step.channel.value, "key": key}
            enqueue(session, clock, STEP, payload, run_at=clock.now() + timedelta(minutes=step.delay_minutes),
                    dedup_key=key)


def run_step(session: Session, clock: Clock, alert: Alert, user: User, channel: Channel, key: str) -> None:
    if alert.state != AlertState.PENDING.value:
        return  # accepted or resolved since the step was planned
    methods = contact_methods(session, user.id, channel)
    if not methods:
        lifecycle.add_log(session, clock, alert, LogKind.NOTIFICATION,
                          f"{user.name} has no {channel.value} contact method; that step was skipped")
        return
    for method in methods:
        queue_message(session, clock, user, method, MessageKind.ALERT, f"{key}.cm{method.id}", alert=alert)


def contact_methods(session: Session, user_id: int, channel: Channel) -> list[ContactMethod]:
    query = select(ContactMethod).where(ContactMethod.user_id == user_id, ContactMethod.channel == channel.value)
    return list(session.scalars(query.order_by(ContactMethod.id)))


def _recent_pages(session: Session, clock: Clock, user_id: int, channel: Channel) -> int:
    query = select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id,
        Notification.channel == channel.value,
        Notification.kind.in_((MessageKind.ALERT.value, MessageKind.BUNDLE.value)),
        Notification.status.in_((MessageStatus.QUEUED.value, MessageStatus.SENT.value)),
        Notification.created_at > clock.now() - THROTTLE_WINDOW,
    )
    return session.scalar(query) or 0


def queue_message(
    session: Session,
    clock: Clock,
    user: User,
    method: ContactMethod | None,
    kind: MessageKind,
    key: str,
    *,
    alert: Alert | None = None,
    detail: str = "",
    content: dict[str, Any] | None = None,
) -> Notification:
    """Write one outbox row (once per idempotency key) and the job that sends it.

    Without a contact method the message is an email to the user's account address. `content`
    replaces the rendered subject and text and may add "url", "links" and "push" (see personal.py).
    """
    existing = session.scalar(select(Notification).where(Notification.idempotency_key == key))
    if existing is not None:
        return existing
    channel = Channel(method.channel) if method else Channel.EMAIL
    if content is None:
        subject, text = render(kind, alert, detail=detail)
        content = {"subject": subject, "text": text}
    if method is None:
        content = {**content, "to": user.email}
    limit = THROTTLE_LIMITS.get(channel)
    held = kind is MessageKind.ALERT and limit is not None and _recent_pages(session, clock, user.id, channel) >= limit
    row = Notification(
        alert_id=alert.id if alert else None,
        user_id=user.id,
        contact_method_id=method.id if method else None,
        channel=channel.value,
        kind=kind.value,
        idempotency_key=key,
        status=MessageStatus.SKIPPED.value if held else MessageStatus.QUEUED.value,
        last_error=THROTTLED if held else None,
        content=content,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    if held:
        if alert is not None:
            lifecycle.add_log(session, clock, alert, LogKind.NOTIFICATION,
                              f"{channel.value} to {user.name} held back: more than {limit} in "
                              f"{int(THROTTLE_WINDOW.total_seconds() // 60)} minutes; it goes into a summary")
        enqueue(session, clock, BUNDLE, {"userId": user.id, "contactMethodId": row.contact_method_id},
                run_at=clock.now() + THROTTLE_WINDOW, dedup_key=f"bundle.user{user.id}.cm{row.contact_method_id}")
    else:
        enqueue(session, clock, SEND, {"notificationId": row.id})
    return row


def on_step(ctx: JobContext) -> None:
    alert = ctx.session.get(Alert, ctx.payload["alertId"])
    user = ctx.session.get(User, ctx.payload["userId"])
    if alert is None or user is None:
        return
    run_step(ctx.session, ctx.clock, alert, user, Channel(ctx.payload["channel"]), ctx.payload["key"])


def on_bundle(ctx: JobContext) -> None:
    """Send one "N more alerts" message for everything a throttle held back on a contact method."""
    user = ctx.session.get(User, ctx.payload["userId"])
    method = ctx.session.get(ContactMethod, ctx.payload["contactMethodId"])
    if user is None or method is None:
        return
    held = list(ctx.session.scalars(
        select(Notification).where(Notification.contact_method_id == method.id,
                                   Notification.status == MessageStatus.SKIPPED.value,
                                   Notification.last_error == THROTTLED).order_by(Notification.id)
    ))
    if not held:
        return
    lines = [f"{len(held)} more alert(s) while messages were limited:"]
    lines += [f"- {n.content.get('subject', '')}" for n in held[:10]]
    if len(held) > 10:
        lines.append(f"… and {len(held) - 10} more")
    bundle = queue_message(ctx.session, ctx.clock, user, method, MessageKind.BUNDLE,
                           f"bundle.cm{method.id}.n{held[0].id}", detail="\n".join(lines))
    for row in held:
        row.last_error = f"throttled; summarised in message {bundle.id}"


def on_alert_changed(ctx: JobContext) -> None:
    """Page a new assignee; tell the people already paged that the alert was accepted or resolved."""
    change = ctx.payload.get("change")
    alert = ctx.session.get(Alert, ctx.payload["alertId"])
    if alert is None:
        return
    if change == "ASSIGNED":
        if alert.assigned_to is not None and alert.state == AlertState.PENDING.value:
            page_user(ctx.session, ctx.clock, alert, alert.assigned_to, reason=f"assigned{ctx.job.id}")
        return
    if change not in (AlertState.ACCEPTED.value, AlertState.RESOLVED.value):
        return
    actor_id = alert.accepted_by_id if change == AlertState.ACCEPTED.value else alert.resolved_by_id
    paged = select(Notification.contact_method_id).where(
        Notification.alert_id == alert.id, Notification.kind == MessageKind.ALERT.value,
        Notification.status == MessageStatus.SENT.value,
    ).distinct()
    for method in ctx.session.scalars(select(ContactMethod).where(ContactMethod.id.in_(paged))):
        # Nobody should be phoned just to hear that the alert was taken care of.
        if not method.send_updates or method.user_id == actor_id or method.channel == Channel.VOICE.value:
            continue
        user = ctx.session.get(User, method.user_id)
        if user is not None:
            queue_message(ctx.session, ctx.clock, user, method, MessageKind.UPDATE,
                          f"update.alert{alert.id}.{change}.cm{method.id}", alert=alert)


def register(registry: JobRegistry) -> None:
    registry.register(STEP, on_step)
    registry.register(BUNDLE, on_bundle)
    registry.register(lifecycle.ALERT_CHANGED, on_alert_changed)
