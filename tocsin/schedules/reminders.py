"""On-call reminders: a message N minutes before each of a user's shifts starts.

One job per user is waiting at a time (dedup key), due before their next shift. When it runs it
checks that the shift still starts then, sends the reminder, and plans the next one. Anything that
changes who is on call (schedule edits, overrides) re-plans the reminders of the people involved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.notifications.models import MessageKind
from tocsin.notifications.personal import notify_personal
from tocsin.schedules.definitions import Window
from tocsin.schedules.models import ShiftReminder
from tocsin.schedules.oncall import UserShift, stretches, user_shifts
from tocsin.timezones import zone

REMIND = "schedule.shift_reminder"
LOOKAHEAD = timedelta(days=35)


def next_stretch(session: Session, user_id: int, after: datetime) -> UserShift | None:
    # Look back a little so that a shift that continues one already running is not taken for a new one.
    window = Window(after - timedelta(days=1), after + LOOKAHEAD)
    return next((s for s in stretches(user_shifts(session, user_id, window)) if s.shift.start > after), None)


def get_reminder(session: Session, user_id: int) -> int | None:
    row = session.get(ShiftReminder, user_id)
    return row.minutes_before if row else None


def set_reminder(session: Session, clock: Clock, user: User, minutes_before: int | None) -> None:
    row = session.get(ShiftReminder, user.id)
    if minutes_before is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(ShiftReminder(user_id=user.id, minutes_before=minutes_before))
    else:
        row.minutes_before = minutes_before
    session.flush()
    plan(session, clock, [user.id])


def plan(session: Session, clock: Clock, user_ids: Iterable[int], *, after: datetime | None = None) -> None:
    """(Re)plan the next reminder of each user who asked for reminders."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return
    reminders = session.scalars(select(ShiftReminder).where(ShiftReminder.user_id.in_(ids)))
    now = clock.now()
    for reminder in reminders:
        lead = timedelta(minutes=reminder.minutes_before)
        # A shift starting sooner than the lead time is reminded of at once; `after` skips one just reminded.
        upcoming = next_stretch(session, reminder.user_id, max(after or now, now))
        if upcoming is None:
            continue
        payload = {"userId": reminder.user_id, "scheduleId": upcoming.schedule.id,
                   "start": upcoming.shift.start.isoformat()}
        enqueue(session, clock, REMIND, payload, run_at=max(now, upcoming.shift.start - lead),
                dedup_key=f"shift-reminder.user{reminder.user_id}", replace=True)


def on_remind(ctx: JobContext) -> None:
    session, clock = ctx.session, ctx.clock
    user = session.get(User, int(ctx.payload["userId"]))
    minutes = get_reminder(session, int(ctx.payload["userId"]))
    if user is None or minutes is None:
        return
    start = datetime.fromisoformat(ctx.payload["start"])
    # Still a shift of this user starting then in that schedule? Schedules may have changed since.
    window = Window(start - timedelta(days=1), start + LOOKAHEAD)
    planned = next((s for s in stretches(user_shifts(session, user.id, window))
                    if s.shift.start == start and s.schedule.id == ctx.payload["scheduleId"]), None)
    if planned is not None:
        _send(session, clock, user, planned, minutes)
    plan(session, clock, [user.id], after=start if planned is not None else None)


def _send(session: Session, clock: Clock, user: User, item: UserShift, minutes: int) -> None:
    local = zone(user.timezone)
    starts = item.shift.start.astimezone(local).strftime("%a %d %b %H:%M")
    ends = item.shift.end.astimezone(local).strftime("%a %d %b %H:%M %Z")
    text = f"Your on-call shift in {item.schedule.name} starts {starts} and runs until {ends}."
    notify_personal(
        session, clock, user, MessageKind.REMINDER,
        f"reminder.user{user.id}.schedule{item.schedule.id}.{item.shift.start.isoformat()}",
        subject=f"On call in {minutes} min: {item.schedule.name}", text=text,
        push={"kind": "shift-reminder", "scheduleId": item.schedule.id},
    )


def register(registry: JobRegistry) -> None:
    registry.register(REMIND, on_remind)
