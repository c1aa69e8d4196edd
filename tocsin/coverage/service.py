"""The rules of coverage requests: who may ask whom for what, and what accept, decline and cancel do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from tocsin.auth.models import Role, Team, TeamMember, TeamRole, User
from tocsin.auth.service import can_respond
from tocsin.clock import Clock
from tocsin.coverage import notify
from tocsin.coverage.models import (
    CoverageAction,
    CoverageEvent,
    CoverageRecipient,
    CoverageRequest,
    CoverageShift,
    CoverageState,
)
from tocsin.db import lock_key
from tocsin.errors import Problem, forbidden, not_found
from tocsin.schedules import changes, oncall
from tocsin.schedules import service as schedules
from tocsin.schedules.definitions import Window
from tocsin.schedules.models import Schedule

MAX_SHIFTS = 50
MAX_MESSAGE = 1000


@dataclass(frozen=True)
class ShiftRange:
    schedule_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class NewRequest:
    shifts: list[ShiftRange]
    receiver_id: int | None = None
    receiver_team_id: int | None = None
    sender_id: int | None = None  # on behalf of a member; default: the caller
    message: str | None = None


def is_expired(request: CoverageRequest, now: datetime) -> bool:
    return request.expires_at <= now


# --- visibility -----------------------------------------------------------------------------


def _recipient_of(user_id: int) -> ColumnElement[bool]:
    return exists().where(CoverageRecipient.request_id == CoverageRequest.id, CoverageRecipient.user_id == user_id)


def can_see(user: User, request: CoverageRequest) -> bool:
    return (
        user.is_admin
        or user.id in (request.sender_id, request.created_by_id)
        or any(r.user_id == user.id for r in request.recipients)
    )


def get_visible(session: Session, user: User, request_id: int, *, for_update: bool = False) -> CoverageRequest:
    # Under the row lock, re-read: the lock may have waited for another transaction's change.
    request = session.get(CoverageRequest, request_id, with_for_update=for_update or None,
                          populate_existing=for_update)
    if request is None or not can_see(user, request):
        raise not_found("coverage request")
    return request


def recipient(request: CoverageRequest, user: User) -> CoverageRecipient | None:
    return next((r for r in request.recipients if r.user_id == user.id), None)


# --- create ---------------------------------------------------------------------------------


def _sender(session: Session, actor: User, sender_id: int | None) -> User:
    if sender_id is None or sender_id == actor.id:
        return actor
    sender = session.get(User, sender_id)
    if sender is None:
        raise Problem(400, f"user {sender_id} does not exist", field="sender")
    if actor.is_admin:
        return sender
    administered = {m.team_id for m in actor.memberships if m.role == TeamRole.ADMIN.value}
    if actor.role == Role.STAKEHOLDER.value or not administered & sender.team_ids:
        raise forbidden("only admins and admins of the sender's team may ask on someone else's behalf")
    return sender


def _not_on_call_detail(session: Session, schedule: Schedule, sender: User, window: Window) -> str | None:
    """Why the sender is not on call for all of the window, or None when they are."""
    cursor = window.start
    for shift in oncall.shifts(session, schedule, window):
        if shift.start > cursor:
            break
        if shift.user_id != sender.id:
            other = session.get(User, shift.user_id)
            who = other.name if other else "someone else"
            return (f"in {schedule.name}, {who} is on call from {shift.start.isoformat()} to "
                    f"{shift.end.isoformat()}, not {sender.name}")
        cursor = shift.end
    if cursor < window.end:
        return f"in {schedule.name}, {sender.name} is not on call from {cursor.isoformat()}"
    return None


def _checked_shifts(session: Session, clock: Clock, actor: User, sender: User,
                    ranges: Sequence[ShiftRange]) -> list[tuple[Schedule, Window]]:
    if not ranges:
        raise Problem(400, "name at least one shift to hand over", field="shifts")
    if len(ranges) > MAX_SHIFTS:
        raise Problem(400, f"at most {MAX_SHIFTS} shifts per request", field="shifts")
    now = clock.now()
    checked: list[tuple[Schedule, Window]] = []
    for index, item in enumerate(ranges):
        where = f"shifts.{index}"
        schedule = session.get(Schedule, item.schedule_id)
        if schedule is None or not schedules.can_see(actor, schedule) or not schedules.can_see(sender, schedule):
            raise Problem(400, f"schedule {item.schedule_id} does not exist", field=f"{where}.schedule")
        if item.end <= item.start:
            raise Problem(400, f"shift {index + 1} must end after it starts", field=f"{where}.end")
        if item.end <= now:
            raise Problem(400, f"shift {index + 1} is in the past", slug="range-in-past", field=f"{where}.end")
        window = schedules.check_range(max(item.start, now), item.end, what=f"shift {index + 1}")
        problem = _not_on_call_detail(session, schedule, sender, window)
        if problem:
            raise Problem(400, f"shift {index + 1}: {problem}", slug="not-on-call", field=where)
        for other_schedule, other in checked:
            if other_schedule.id == schedule.id and other.start < window.end and window.start < other.end:
                raise Problem(400, f"shifts {index + 1} and an earlier one overlap", field=where)
        checked.append((schedule, window))
    return checked


def _receivers(session: Session, sender: User, new: NewRequest,
               shifts: list[tuple[Schedule, Window]]) -> tuple[list[User], Team | None]:
    if (new.receiver_id is None) == (new.receiver_team_id is None):
        raise Problem(400, "name either a receiver or a receiverTeam", field="receiver")
    if new.receiver_id is not None:
        if new.receiver_id == sender.id:
            raise Problem(400, "you cannot ask yourself to cover your own shifts", field="receiver")
        receiver = session.get(User, new.receiver_id)
        if receiver is None:
            raise Problem(400, f"user {new.receiver_id} does not exist", field="receiver")
        for schedule, _window in shifts:
            if not schedules.may_be_on_call(schedule, receiver):
                raise Problem(400, f"{receiver.name} is not in the teams of {schedule.name}, so cannot be on call "
                                   "there", slug="receiver-not-allowed", field="receiver")
        return [receiver], None
    team = session.get(Team, new.receiver_team_id)
    if team is None or not (sender.is_admin or team.id in sender.team_ids):
        raise Problem(400, f"team {new.receiver_team_id} does not exist or is not yours", field="receiverTeam")
    members = [session.get(User, m.user_id) for m in team.members if m.user_id != sender.id]
    allowed = [u for u in members if u is not None and all(schedules.may_be_on_call(s, u) for s, _w in shifts)]
    if not allowed:
        raise Problem(400, f"nobody else in {team.name} may be on call in those schedules", field="receiverTeam")
    return allowed, team


def possible_receivers(session: Session, sender: User, schedule_ids: Sequence[int]) -> list[User]:
    """Everyone the sender may ask to cover shifts of these schedules (as `create` checks it), by name."""
    wanted = list(session.scalars(select(Schedule).where(Schedule.id.in_(list(schedule_ids)))))
    users = session.scalars(select(User).options(selectinload(User.memberships)).order_by(User.name, User.id))
    return [u for u in users if u.id != sender.id and all(schedules.may_be_on_call(s, u) for s in wanted)]


def possible_teams(session: Session, sender: User) -> list[Team]:
    """Teams the sender may broadcast a request to."""
    query = select(Team).order_by(Team.name)
    return list(session.scalars(query if sender.is_admin else query.where(Team.id.in_(sender.team_ids or {-1}))))


def _pending_overlap(session: Session, sender: User, shifts: list[tuple[Schedule, Window]]) -> int | None:
    for schedule, window in shifts:
        query = select(CoverageRequest.id).join(CoverageShift).where(
            CoverageRequest.sender_id == sender.id,
            CoverageRequest.state == CoverageState.PENDING.value,
            CoverageShift.schedule_id == schedule.id,
            CoverageShift.start < window.end,
            CoverageShift.end > window.start,
        )
        found = session.scalar(query.limit(1))
        if found is not None:
            return int(found)
    return None


def create(session: Session, clock: Clock, actor: User, new: NewRequest) -> CoverageRequest:
    sender = _sender(session, actor, new.sender_id)
    if new.message is not None and len(new.message) > MAX_MESSAGE:
        raise Problem(400, f"the message is longer than {MAX_MESSAGE} characters", field="message")
    shifts = _checked_shifts(session, clock, actor, sender, new.shifts)
    receivers, team = _receivers(session, sender, new, shifts)
    lock_key(session, "coverage-sender", sender.id)
    clash = _pending_overlap(session, sender, shifts)
    if clash is not None:
        raise Problem(409, f"coverage request {clash} already asks for part of this time and is still pending",
                      slug="overlapping-request", extra={"conflictingRequest": clash})
    now = clock.now()
    request = CoverageRequest(
        sender_id=sender.id, receiver_id=None if team else receivers[0].id, receiver_team_id=team.id if team else None,
        created_by_id=actor.id, message=(new.message or "").strip() or None, state=CoverageState.PENDING.value,
        first_start=min(w.start for _s, w in shifts), expires_at=max(w.end for _s, w in shifts),
        created_at=now, changed_at=now,
    )
    request.shifts = [CoverageShift(position=i, schedule_id=s.id, start=w.start, end=w.end)
                      for i, (s, w) in enumerate(shifts)]
    request.recipients = [CoverageRecipient(user_id=u.id) for u in receivers]
    session.add(request)
    session.flush()
    notify.record(session, clock, request, actor, CoverageAction.CREATED,
            **({"onBehalfOf": sender.id} if sender.id != actor.id else {}))
    notify.created(session, clock, request, receivers)
    return request


# --- act ------------------------------------------------------------------------------------


def _change(request: CoverageRequest, clock: Clock, state: CoverageState, actor: User) -> None:
    request.state = state.value
    request.acted_by_id = actor.id
    request.changed_at = clock.now()


def _require_pending(request: CoverageRequest, clock: Clock, verb: str) -> None:
    if request.state != CoverageState.PENDING.value:
        raise Problem(409, f"the request is {request.state.lower()}; it can no longer be {verb}",
                      slug="not-pending", extra={"state": request.state})
    if is_expired(request, clock.now()):
        raise Problem(409, f"the request expired at {request.expires_at.isoformat()}; it can no longer be {verb}",
                      slug="expired")


def accept(session: Session, clock: Clock, user: User, request: CoverageRequest) -> CoverageRequest:
    mine = recipient(request, user)
    if mine is None:
        raise forbidden("only the receiver may accept a coverage request")
    if request.state == CoverageState.ACCEPTED.value and request.acted_by_id == user.id:
        return request  # accepting twice changes nothing
    if request.state == CoverageState.ACCEPTED.value:
        raise Problem(409, "someone else accepted this request first", slug="taken", extra={"state": request.state})
    _require_pending(request, clock, "accepted")
    if mine.state != CoverageState.PENDING.value:
        raise Problem(409, "you declined this request", slug="not-pending", extra={"state": mine.state})
    now = clock.now()
    sender = session.get(User, request.sender_id)
    assert sender is not None
    # Lock every schedule first, in id order, so that accepts of overlapping requests cannot deadlock.
    ids = sorted({s.schedule_id for s in request.shifts if s.end > now})
    locked = {s.id: s for s in session.scalars(select(Schedule).where(Schedule.id.in_(ids))
                                                .order_by(Schedule.id).with_for_update())}
    plans: list[tuple[Schedule, Window]] = []
    for index, shift in enumerate(request.shifts):
        if shift.end <= now:
            continue  # that part has passed; the rest is still handed over
        schedule = locked[shift.schedule_id]
        if not schedules.may_be_on_call(schedule, user):
            raise Problem(409, f"shift {index + 1}: you can no longer be on call in {schedule.name}",
                          slug="receiver-not-allowed", extra={"shift": index + 1, "schedule": schedule.id})
        window = Window(max(shift.start, now), shift.end)
        problem = _not_on_call_detail(session, schedule, sender, window)
        if problem:
            raise Problem(409, f"shift {index + 1} changed since the request was made: {problem}",
                          slug="schedule-changed", extra={"shift": index + 1, "schedule": schedule.id})
        plans.append((schedule, window))
    for schedule, window in plans:
        changes.hand_over(session, clock, schedule, user.id, window, created_by=user.id)
    _change(request, clock, CoverageState.ACCEPTED, user)
    mine.state, mine.acted_at = CoverageState.ACCEPTED.value, now
    notify.record(session, clock, request, user, CoverageAction.ACCEPTED)
    session.flush()
    notify.accepted(session, clock, request, user)
    return request


def decline(session: Session, clock: Clock, user: User, request: CoverageRequest, comment: str | None) -> None:
    mine = recipient(request, user)
    if mine is None:
        raise forbidden("only the receiver may decline a coverage request")
    if mine.state == CoverageState.DECLINED.value:
        return  # declining twice changes nothing
    _require_pending(request, clock, "declined")
    comment = (comment or "").strip() or None
    mine.state, mine.decline_comment, mine.acted_at = CoverageState.DECLINED.value, comment, clock.now()
    notify.record(session, clock, request, user, CoverageAction.DECLINED, **({"comment": comment} if comment else {}))
    everyone = all(r.state == CoverageState.DECLINED.value for r in request.recipients)
    if everyone:
        _change(request, clock, CoverageState.DECLINED, user)
        request.decline_comment = comment
    session.flush()
    if everyone:
        notify.declined(session, clock, request, user, comment, everyone=everyone)


def cancel(session: Session, clock: Clock, user: User, request: CoverageRequest) -> None:
    if not (user.is_admin or user.id in (request.sender_id, request.created_by_id)):
        raise forbidden("only the sender may cancel a coverage request")
    if request.state == CoverageState.CANCELLED.value:
        return
    if request.state == CoverageState.ACCEPTED.value:
        raise Problem(409, "the request was accepted: the shifts were handed over. To get them back, the receiver "
                           "can send you a coverage request", slug="accepted", extra={"state": request.state})
    _require_pending(request, clock, "cancelled")
    _change(request, clock, CoverageState.CANCELLED, user)
    notify.record(session, clock, request, user, CoverageAction.CANCELLED)
    session.flush()
    notify.cancelled(session, clock, request)


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    direction: str | None = None  # "received" | "sent" | None for both
    states: list[CoverageState] | None = None
    created_after: datetime | None = None
    changed_after: datetime | None = None
    before_id: int | None = None
    limit: int = 50


def _mine(user: User, direction: str | None) -> ColumnElement[bool]:
    received = _recipient_of(user.id)
    sent = CoverageRequest.sender_id == user.id
    if direction == "received":
        return received
    if direction == "sent":
        return sent
    return or_(received, sent)


def list_requests(session: Session, clock: Clock, user: User, q: ListQuery) -> list[CoverageRequest]:
    pending = CoverageRequest.state == CoverageState.PENDING.value
    live = and_(pending, CoverageRequest.expires_at > clock.now())
    conditions: list[ColumnElement[bool]] = [_mine(user, q.direction)]
    if q.created_after is not None:
        conditions.append(or_(CoverageRequest.created_at >= q.created_after, live))
    if q.changed_after is not None:
        # Expiring is a change too: an unanswered request shows, marked expired, for as long as an answer would.
        expired_since = and_(pending, CoverageRequest.expires_at >= q.changed_after)
        conditions.append(or_(CoverageRequest.changed_at >= q.changed_after, live, expired_since))
    if q.states is not None:
        conditions.append(CoverageRequest.state.in_([s.value for s in q.states]) if q.states else false())
    if q.created_after is None and q.changed_after is None and q.states is None:
        conditions.append(live)
    if q.before_id is not None:
        conditions.append(CoverageRequest.id < q.before_id)
    query = select(CoverageRequest).where(*conditions).order_by(CoverageRequest.id.desc()).limit(q.limit)
    return list(session.scalars(query))


def counts(session: Session, clock: Clock, user: User) -> tuple[int, int]:
    live = and_(CoverageRequest.state == CoverageState.PENDING.value, CoverageRequest.expires_at > clock.now())
    received = select(func.count()).select_from(CoverageRequest).join(CoverageRecipient).where(
        live, CoverageRecipient.user_id == user.id, CoverageRecipient.state == CoverageState.PENDING.value)
    sent = select(func.count()).select_from(CoverageRequest).where(live, CoverageRequest.sender_id == user.id)
    return session.scalar(received) or 0, session.scalar(sent) or 0


def history(session: Session, request: CoverageRequest) -> list[CoverageEvent]:
    query = select(CoverageEvent).where(CoverageEvent.request_id == request.id)
    return list(session.scalars(query.order_by(CoverageEvent.at, CoverageEvent.id)))


# --- suggestions ----------------------------------------------------------------------------

SUGGESTION_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class Suggestion:
    user: User
    on_call_hours: float


def suggestions(session: Session, clock: Clock, user: User, schedule: Schedule, window: Window) -> list[Suggestion]:
    """Colleagues who may be on call in the schedule and are free then, least on call recently first."""
    if schedule.teams:
        ids = set(session.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(schedule.team_ids))))
    else:
        ids = set(session.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(user.team_ids or {-1}))))
    ids.discard(user.id)
    now = clock.now()
    past = Window(now - SUGGESTION_LOOKBACK, now)
    found = []
    for candidate in session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)):
        if not can_respond(candidate) or oncall.user_shifts(session, candidate.id, window):
            continue  # on call somewhere then already
        hours = sum((s.shift.duration for s in oncall.user_shifts(session, candidate.id, past)), timedelta())
        found.append(Suggestion(candidate, hours.total_seconds() / 3600))
    return sorted(found, key=lambda s: (s.on_call_hours, s.user.name))
