"""Turning a level's targets into the users to page at a moment.

Schedules belong to their own package; escalation reaches them through `ScheduleDirectory`, which
the schedules package installs with `set_schedule_directory`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tocsin.auth.models import Team, User
from tocsin.escalation.models import EscalationLevel, TargetKind


class ScheduleDirectory(Protocol):
    def exists(self, session: Session, schedule_id: int) -> bool: ...

    def on_call(self, session: Session, schedule_id: int, at: datetime) -> list[int]:
        """Ids of the users on call in the schedule at `at` (empty when nobody is)."""
        ...


_directory: ScheduleDirectory | None = None


def set_schedule_directory(directory: ScheduleDirectory | None) -> None:
    global _directory
    _directory = directory


def target_exists(session: Session, kind: TargetKind, target_id: int) -> bool:
    if kind is TargetKind.USER:
        return session.get(User, target_id) is not None
    if kind is TargetKind.TEAM:
        return session.get(Team, target_id) is not None
    return _directory is not None and _directory.exists(session, target_id)


def level_users(session: Session, level: EscalationLevel, at: datetime) -> list[User]:
    """The users a level pages at `at`, each once, in target order."""
    ids: list[int] = []
    for target in level.targets:
        kind = TargetKind(target.kind)
        if kind is TargetKind.USER:
            ids.append(target.target_id)
        elif kind is TargetKind.TEAM:
            team = session.get(Team, target.target_id)
            if team is not None:
                ids.extend(m.user_id for m in team.members)
        elif _directory is not None:
            ids.extend(_directory.on_call(session, target.target_id, at))
    users = [session.get(User, user_id) for user_id in dict.fromkeys(ids)]
    return [u for u in users if u is not None]
