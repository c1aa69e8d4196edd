"""API shapes for coverage requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.schemas import IdRef, NamedRef
from tocsin.auth.models import Team, User
from tocsin.coverage.models import CoverageAction, CoverageEvent, CoverageRequest, CoverageState
from tocsin.coverage.service import MAX_SHIFTS, NewRequest, ShiftRange, is_expired
from tocsin.schedules.models import Schedule
from tocsin.schemas import ApiInput, ApiModel, OnCallTime


class CoverageShiftIn(ApiInput):
    schedule: IdRef
    start: OnCallTime
    end: OnCallTime


class CoverageRequestIn(ApiInput):
    receiver: IdRef | None = Field(default=None, description="The colleague asked; or use receiverTeam")
    receiver_team: IdRef | None = Field(default=None, description="Ask every member of a team; the first to accept")
    sender: IdRef | None = Field(default=None, description="Admins and team admins: ask on behalf of this member")
    shifts: list[CoverageShiftIn] = Field(max_length=MAX_SHIFTS,
                                          description="Whole shifts of the sender or parts of them (at most 50)")
    message: str | None = Field(default=None, description="At most 1,000 characters")

    def new(self) -> NewRequest:
        return NewRequest(
            shifts=[ShiftRange(s.schedule.id, s.start, s.end) for s in self.shifts],
            receiver_id=self.receiver.id if self.receiver else None,
            receiver_team_id=self.receiver_team.id if self.receiver_team else None,
            sender_id=self.sender.id if self.sender else None,
            message=self.message,
        )


class DeclineIn(ApiInput):
    decline_comment: str | None = Field(default=None, max_length=1000)


class Person(ApiModel):
    id: int
    name: str
    timezone: str


class CoverageShiftOut(ApiModel):
    schedule: NamedRef
    start: datetime
    end: datetime


class RecipientOut(ApiModel):
    user: Person
    state: CoverageState
    decline_comment: str | None
    acted_at: datetime | None


class CoverageRequestOut(ApiModel):
    id: int
    sender: Person
    receiver: Person | None = Field(description="The receiver of a direct request; null for a team broadcast")
    receiver_team: NamedRef | None
    recipients: list[RecipientOut]
    shifts: list[CoverageShiftOut]
    message: str | None
    state: CoverageState
    decline_comment: str | None
    created_at: datetime
    changed_at: datetime
    expired: bool
    expires_at: datetime
    acted_by: Person | None
    created_by: Person | None


def _names(session: Session, model: type[Schedule] | type[Team], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.name for row in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


class People:
    """Users, teams and schedules a page of requests names, each loaded once."""

    def __init__(self, session: Session, requests: list[CoverageRequest]) -> None:
        user_ids = {r.sender_id for r in requests} | {r.acted_by_id for r in requests if r.acted_by_id}
        user_ids |= {r.created_by_id for r in requests if r.created_by_id}
        user_ids |= {x.user_id for r in requests for x in r.recipients}
        self.users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
        schedule_ids = {s.schedule_id for r in requests for s in r.shifts}
        self.schedules = _names(session, Schedule, schedule_ids)
        self.teams = _names(session, Team, {r.receiver_team_id for r in requests if r.receiver_team_id})

    def person(self, user_id: int | None) -> Person | None:
        user = self.users.get(user_id) if user_id is not None else None
        return Person(id=user.id, name=user.name, timezone=user.timezone) if user else None

    def out(self, request: CoverageRequest, now: datetime) -> CoverageRequestOut:
        sender = self.person(request.sender_id)
        assert sender is not None
        team = request.receiver_team_id
        return CoverageRequestOut(
            id=request.id, sender=sender, receiver=self.person(request.receiver_id),
            receiver_team=NamedRef(id=team, name=self.teams.get(team, "")) if team else None,
            recipients=[RecipientOut(user=p, state=CoverageState(r.state), decline_comment=r.decline_comment,
                                     acted_at=r.acted_at)
                        for r in request.recipients if (p := self.person(r.user_id)) is not None],
            shifts=[CoverageShiftOut(schedule=NamedRef(id=s.schedule_id, name=self.schedules.get(s.schedule_id, "")),
                                     start=s.start, end=s.end) for s in request.shifts],
            message=request.message, state=CoverageState(request.state), decline_comment=request.decline_comment,
            created_at=request.created_at, changed_at=request.changed_at, expired=is_expired(request, now),
            expires_at=request.expires_at, acted_by=self.person(request.acted_by_id),
            created_by=self.person(request.created_by_id),
        )


class CoverageCount(ApiModel):
    pending_received: int
    pending_sent: int


class HistoryEntry(ApiModel):
    at: datetime
    actor: Person | None
    action: CoverageAction
    detail: dict[str, Any]

    @classmethod
    def of(cls, event: CoverageEvent, people: dict[int, User]) -> HistoryEntry:
        user = people.get(event.actor_id) if event.actor_id else None
        actor = Person(id=user.id, name=user.name, timezone=user.timezone) if user else None
        return cls(at=event.at, actor=actor, action=CoverageAction(event.action), detail=event.detail)


class SuggestionOut(ApiModel):
    user: Person
    on_call_hours_last_30_days: float
    local_start: str = Field(description="The range's start on the colleague's clock (ISO 8601 with offset)")
    local_end: str
