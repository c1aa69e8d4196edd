"""Telling people about coverage requests, and the reminders the engine sends while one is pending."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.coverage import links
from tocsin.coverage.links import LinkAction
from tocsin.coverage.models import CoverageAction, CoverageEvent, CoverageRequest, CoverageState
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.notifications.models import MessageKind
from tocsin.notifications.personal import notify_personal
from tocsin.schedules.models import Schedule
from tocsin.timezones import zone

REMIND_RECEIVERS = "coverage.remind_receivers"
TELL_SENDER = "coverage.tell_sender"
REMINDER_LEAD = timedelta(hours=24)
LINK_FOOTER = ("The accept and decline links act as you, on this request only, and work once; each opens a "
               "page where you confirm. Do not forward this message.")


def _path(request: CoverageRequest) -> str:
    return f"/coverage-requests/{request.id}"


def shift_lines(session: Session, request: CoverageRequest, timezone: str) -> str:
    """The request's shifts in the reader's own time zone, one per line."""
    local = zone(timezone)
    lines = []
    for shift in request.shifts:
        schedule = session.get(Schedule, shift.schedule_id)
        name = schedule.name if schedule else f"schedule {shift.schedule_id}"
        start, end = shift.start.astimezone(local), shift.end.astimezone(local)
        lines.append(f"- {name}: {start:%a %d %b %H:%M} to {end:%a %d %b %H:%M} ({timezone})")
    return "\n".join(lines)


def _send(session: Session, clock: Clock, request: CoverageRequest, user: User, event: str, subject: str,
          text: str, *, with_links: bool = False) -> None:
    actions: list[tuple[str, str]] = []
    if with_links:
        for label, action in (("Accept", LinkAction.ACCEPT), ("Decline", LinkAction.DECLINE)):
            token = links.issue(session, clock, request.id, action, user.id, request.expires_at)
            actions.append((label, f"/coverage-actions/{token}"))
    notify_personal(
        session, clock, user, MessageKind.COVERAGE, f"coverage{request.id}.{event}.user{user.id}",
        subject=subject, text=text, url=_path(request), links=actions,
        push={"kind": "coverage-request", "coverageRequestId": request.id, "event": event},
        footer=LINK_FOOTER if with_links else None,
    )


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user else "someone"


def created(session: Session, clock: Clock, request: CoverageRequest, receivers: list[User]) -> None:
    sender = _name(session, request.sender_id)
    count = len(request.shifts)
    for receiver in receivers:
        text = f"{sender} asks you to take {'this on-call shift' if count == 1 else f'these {count} on-call shifts'}:"
        text += "\n" + shift_lines(session, request, receiver.timezone)
        if request.message:
            text += f"\n\nMessage from {sender}: {request.message}"
        _send(session, clock, request, receiver, "created", f"Can you cover for {sender}?", text, with_links=True)
    _plan_reminders(session, clock, request)


def accepted(session: Session, clock: Clock, request: CoverageRequest, receiver: User) -> None:
    sender = session.get(User, request.sender_id)
    if sender is not None:
        text = f"{receiver.name} accepted and is now on call instead of you:\n"
        text += shift_lines(session, request, sender.timezone)
        _send(session, clock, request, sender, "accepted", f"{receiver.name} will cover for you", text)


def declined(session: Session, clock: Clock, request: CoverageRequest, receiver: User, comment: str | None, *,
             everyone: bool) -> None:
    sender = session.get(User, request.sender_id)
    if sender is None:
        return
    who = "Everyone you asked" if everyone and request.receiver_team_id else receiver.name
    text = f"{who} declined your coverage request; these shifts are still yours:\n"
    text += shift_lines(session, request, sender.timezone)
    if comment:
        text += f"\n\n{receiver.name} wrote: {comment}"
    _send(session, clock, request, sender, "declined", f"{who} declined your coverage request", text)


def cancelled(session: Session, clock: Clock, request: CoverageRequest) -> None:
    sender = _name(session, request.sender_id)
    for recipient in request.recipients:
        if recipient.state != CoverageState.PENDING.value:
            continue
        user = session.get(User, recipient.user_id)
        if user is not None:
            text = f"{sender} no longer needs cover for:\n" + shift_lines(session, request, user.timezone)
            _send(session, clock, request, user, "cancelled", f"{sender} cancelled a coverage request", text)


# --- reminders ------------------------------------------------------------------------------


def reminder_time(created_at: datetime, first_start: datetime) -> datetime:
    """24 hours before the first shift, or halfway there when the request came later than that."""
    if first_start - REMINDER_LEAD >= created_at:
        return first_start - REMINDER_LEAD
    return created_at + (first_start - created_at) / 2


def _plan_reminders(session: Session, clock: Clock, request: CoverageRequest) -> None:
    """Nothing to remind of when the first shift is already running: the request itself is the news."""
    if request.first_start <= request.created_at:
        return
    payload = {"requestId": request.id}
    enqueue(session, clock, REMIND_RECEIVERS, payload, run_at=reminder_time(request.created_at, request.first_start),
            dedup_key=f"coverage{request.id}.remind")
    enqueue(session, clock, TELL_SENDER, payload, run_at=request.first_start,
            dedup_key=f"coverage{request.id}.still-yours")


def _still_pending(ctx: JobContext) -> CoverageRequest | None:
    request = ctx.session.get(CoverageRequest, int(ctx.payload["requestId"]))
    if request is None or request.state != CoverageState.PENDING.value or request.expires_at <= ctx.clock.now():
        return None
    return request


def record(session: Session, clock: Clock, request: CoverageRequest, actor: User | None, action: CoverageAction,
           **detail: object) -> None:
    """One entry of the request's history."""
    session.add(CoverageEvent(request_id=request.id, at=clock.now(), actor_id=actor.id if actor else None,
                              action=action.value, detail=dict(detail)))


def on_remind_receivers(ctx: JobContext) -> None:
    request = _still_pending(ctx)
    if request is None:
        return
    sender = _name(ctx.session, request.sender_id)
    for recipient in request.recipients:
        user = ctx.session.get(User, recipient.user_id)
        if user is None or recipient.state != CoverageState.PENDING.value:
            continue
        text = f"{sender} is still waiting for your answer. The first shift starts soon:\n"
        text += shift_lines(ctx.session, request, user.timezone)
        _send(ctx.session, ctx.clock, request, user, "reminder", f"Reminder: can you cover for {sender}?", text,
              with_links=True)
    record(ctx.session, ctx.clock, request, None, CoverageAction.REMINDED)


def on_tell_sender(ctx: JobContext) -> None:
    request = _still_pending(ctx)
    if request is None:
        return
    sender = ctx.session.get(User, request.sender_id)
    if sender is not None:
        text = "Nobody has accepted your coverage request yet, so you are on call:\n"
        text += shift_lines(ctx.session, request, sender.timezone)
        _send(ctx.session, ctx.clock, request, sender, "still-yours", "Your shift has started: it is still yours",
              text)
    record(ctx.session, ctx.clock, request, None, CoverageAction.STILL_YOURS)


def register(registry: JobRegistry) -> None:
    registry.register(REMIND_RECEIVERS, on_remind_receivers)
    registry.register(TELL_SENDER, on_tell_sender)
