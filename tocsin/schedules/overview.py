"""Who is on call right now in every schedule a user can see, and whom each level of every escalation
policy they can see would page (GET /api/on-call and the web app's on-call page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.escalation import engine as escalation_engine
from tocsin.escalation import service as escalation
from tocsin.escalation.models import EscalationPolicy
from tocsin.schedules import oncall, service
from tocsin.schedules.definitions import OnCallAnswer
from tocsin.schedules.models import Schedule


@dataclass(frozen=True)
class ScheduleNow:
    schedule: Schedule
    answer: OnCallAnswer


@dataclass(frozen=True)
class LevelNow:
    level: int  # from 1
    users: list[User]
    fallback: bool


@dataclass(frozen=True)
class PolicyNow:
    policy: EscalationPolicy
    levels: list[LevelNow]


@dataclass(frozen=True)
class OnCallOverview:
    at: datetime
    schedules: list[ScheduleNow]
    policies: list[PolicyNow]


def policy_levels(session: Session, policy: EscalationPolicy, at: datetime) -> list[LevelNow]:
    levels = []
    for index in range(len(policy.levels)):
        paged = escalation_engine.users_for_level(session, policy, index, at)
        levels.append(LevelNow(index + 1, paged.users, paged.fallback))
    return levels


def on_call_overview(session: Session, user: User, at: datetime) -> OnCallOverview:
    schedules = service.list_schedules(session, user)
    answers = oncall.answers(session, schedules, at)
    policies = [PolicyNow(p, policy_levels(session, p, at)) for p in escalation.list_policies(session, user)]
    return OnCallOverview(at, [ScheduleNow(s, answers[s.id]) for s in schedules], policies)
