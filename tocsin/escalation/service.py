"""Escalation policies: validation, visibility and who may change them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, not_, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.models import AlertSource
from tocsin.auth.models import User
from tocsin.auth.service import can_configure, owner_teams
from tocsin.clock import Clock
from tocsin.errors import Problem, forbidden, not_found
from tocsin.escalation.models import (
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    TargetKind,
    escalation_policy_teams,
)
from tocsin.escalation.targets import target_exists

MAX_LEVELS = 20
MAX_TARGETS_PER_LEVEL = 50


@dataclass(frozen=True)
class LevelSpec:
    timeout_minutes: int
    targets: list[tuple[TargetKind, int]]


@dataclass(frozen=True)
class PolicySpec:
    name: str
    levels: list[LevelSpec]
    repeating: bool
    repeat_times: int
    fallback_user_id: int | None
    team_ids: list[int]


def can_see(user: User, policy: EscalationPolicy) -> bool:
    return user.is_admin or not policy.teams or bool(policy.team_ids & user.team_ids)


def get_visible_policy(session: Session, user: User, policy_id: int) -> EscalationPolicy:
    policy = session.get(EscalationPolicy, policy_id)
    if policy is None or not can_see(user, policy):
        raise not_found("escalation policy")
    return policy


def list_policies(session: Session, user: User) -> list[EscalationPolicy]:
    query = select(EscalationPolicy).order_by(EscalationPolicy.name, EscalationPolicy.id)
    if not user.is_admin:
        link = escalation_policy_teams.c
        has_team = exists().where(link.escalation_policy_id == EscalationPolicy.id)
        mine = exists().where(link.escalation_policy_id == EscalationPolicy.id, link.team_id.in_(user.team_ids or {-1}))
        query = query.where(or_(not_(has_team), mine))
    return list(session.scalars(query))


def _require_can_manage(user: User, policy: EscalationPolicy | None) -> None:
    if user.is_admin:
        return
    if not can_configure(user):
        raise forbidden("your role may not change escalation policies")
    if policy is not None and not (policy.team_ids & user.team_ids):
        raise forbidden("only admins and members of the policy's teams may change it")


def can_manage(user: User, policy: EscalationPolicy | None) -> bool:
    """May create (policy None) or change this policy."""
    try:
        _require_can_manage(user, policy)
    except Problem:
        return False
    return True


def _apply(session: Session, clock: Clock, user: User, policy: EscalationPolicy, spec: PolicySpec) -> None:
    teams = owner_teams(session, user, spec.team_ids, "the policy")
    if spec.fallback_user_id is not None and session.get(User, spec.fallback_user_id) is None:
        raise Problem(400, f"user {spec.fallback_user_id} does not exist", field="fallbackUser")
    for n, level in enumerate(spec.levels, start=1):
        for kind, target_id in level.targets:
            if not target_exists(session, kind, target_id):
                raise Problem(400, f"level {n}: {kind.value.lower()} {target_id} does not exist",
                              field=f"levels.{n - 1}.targets")
    policy.name = spec.name.strip()
    policy.repeating = spec.repeating
    policy.repeat_times = spec.repeat_times if spec.repeating else 0
    policy.fallback_user_id = spec.fallback_user_id
    policy.teams = teams
    policy.updated_at = clock.now()
    policy.levels = [
        EscalationLevel(
            position=position,
            timeout_minutes=level.timeout_minutes,
            targets=[EscalationTarget(kind=kind.value, target_id=target_id) for kind, target_id in level.targets],
        )
        for position, level in enumerate(spec.levels)
    ]
    session.flush()


def create_policy(session: Session, clock: Clock, user: User, spec: PolicySpec) -> EscalationPolicy:
    _require_can_manage(user, None)
    now = clock.now()
    policy = EscalationPolicy(created_at=now, updated_at=now)
    _apply(session, clock, user, policy, spec)  # validates before the new row can be flushed
    session.add(policy)
    session.flush()
    return policy


def update_policy(session: Session, clock: Clock, user: User, policy: EscalationPolicy, spec: PolicySpec) -> None:
    _require_can_manage(user, policy)
    _apply(session, clock, user, policy, spec)


def delete_policy(session: Session, user: User, policy: EscalationPolicy) -> None:
    _require_can_manage(user, policy)

    used_by = session.scalars(select(AlertSource.name).where(AlertSource.escalation_policy_id == policy.id)).all()
    if used_by:
        raise Problem(409, f"the policy is used by alert source(s) {', '.join(used_by)}; route them elsewhere first")
    session.delete(policy)
