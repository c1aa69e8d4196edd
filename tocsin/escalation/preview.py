"""Who each level of a policy would page for an alert that nobody accepts: changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.escalation.engine import users_for_level
from tocsin.escalation.models import EscalationPolicy


@dataclass(frozen=True)
class PreviewStep:
    level: int  # 1-based
    at: datetime  # when the level would be paged
    users: list[User]
    fallback: bool  # nobody was there: the fallback user would be paged


def preview(session: Session, policy: EscalationPolicy, start: datetime) -> list[PreviewStep]:
    moment = start
    steps = []
    for index, level in enumerate(policy.levels):
        paged = users_for_level(session, policy, index, moment)
        steps.append(PreviewStep(level=index + 1, at=moment, users=paged.users, fallback=paged.fallback))
        moment += timedelta(minutes=level.timeout_minutes)
    return steps
