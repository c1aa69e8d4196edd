"""The escalation engine: which level an alert is at, who it pages, and when it moves on.

Every step runs in a job's transaction. An alert's `escalation_generation` is bumped by every step
and every action on the alert; a timer carries the generation it was set for and does nothing when
the alert has moved on since (accepted, resolved, escalated by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts import lifecycle
from tocsin.alerts.models import Alert, AlertState, LogKind
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.engine.queue import enqueue
from tocsin.engine.registry import JobContext, JobRegistry
from tocsin.errors import conflict
from tocsin.escalation.models import EscalationPolicy
from tocsin.escalation.targets import level_users
from tocsin.notifications import dispatch

TIMEOUT = "escalation.timeout"
RECONCILE = "escalation.reconcile"
RECONCILE_EVERY = timedelta(minutes=1)
# A timer this late is presumed lost (e.g. its job was purged by hand) and the step is redone.
RECONCILE_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Paged:
    users: list[User]
    fallback: bool


def users_for_level(session: Session, policy: EscalationPolicy, index: int, at: datetime) -> Paged:
    users = level_users(session, policy.levels[index], at)
    if users or policy.fallback_user is None:
        return Paged(users, fallback=False)
    return Paged([policy.fallback_user], fallback=True)


def current_level_users(session: Session, clock: Clock, alert: Alert) -> list[User]:
    """Who the alert's current level pages now (empty when it has no level in progress)."""
    policy = session.get(EscalationPolicy, alert.escalation_policy_id) if alert.escalation_policy_id else None
    index = (alert.escalation_level or 0) - 1
    if policy is None or not 0 <= index < len(policy.levels):
        return []
    return users_for_level(session, policy, index, clock.now()).users


def _lock(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id, with_for_update={"of": Alert})


def start(session: Session, clock: Clock, alert: Alert) -> None:
    """Enter level 1 of the alert's policy (if it has one and is still pending)."""
    if alert.state != AlertState.PENDING.value or alert.escalation_policy_id is None:
        return
    policy = session.get(EscalationPolicy, alert.escalation_policy_id)
    if policy is None or not policy.levels:
        lifecycle.add_log(session, clock, alert, LogKind.ESCALATION,
                          "The alert's escalation policy no longer exists; nobody was paged")
        return
    _enter_level(session, clock, alert, policy, 0, 0)


def _enter_level(session: Session, clock: Clock, alert: Alert, policy: EscalationPolicy, index: int,
                 round_: int) -> None:
    # Empty levels are passed over at once (after logging), so the loop is bounded by the levels.
    for _ in range(len(policy.levels) * (policy.repeat_times + 1) + 1):
        now = clock.now()
        level = policy.levels[index]
        alert.escalation_level = index + 1
        alert.escalation_round = round_
        alert.escalation_generation += 1
        paged = users_for_level(session, policy, index, now)
        names = ", ".join(u.name for u in paged.users)
        if paged.fallback:
            message = f"Level {index + 1} had nobody to page; paging fallback {names}"
        elif paged.users:
            message = f"Escalated to level {index + 1}: {names}"
        else:
            message = f"Level {index + 1} had nobody to page and the policy has no fallback user"
        if round_:
            message += f" (repeat {round_} of {policy.repeat_times})"
        lifecycle.add_log(session, clock, alert, LogKind.ESCALATION, message,
                          data={"level": index + 1, "round": round_, "userIds": [u.id for u in paged.users]})
        for user in paged.users:
            dispatch.page_user(session, clock, alert, user, reason=f"level{index + 1}.round{round_}")
        if paged.users:
            _set_timer(session, clock, alert, now + timedelta(minutes=level.timeout_minutes))
            return
        following = _following(policy, index, round_)
        if following is None:
            _exhausted(session, clock, alert)
            return
        index, round_ = following
    _exhausted(session, clock, alert)


def _following(policy: EscalationPolicy, index: int, round_: int) -> tuple[int, int] | None:
    if index + 1 < len(policy.levels):
        return index + 1, round_
    if policy.repeating and round_ < policy.repeat_times:
        return 0, round_ + 1
    return None


def _set_timer(session: Session, clock: Clock, alert: Alert, due: datetime) -> None:
    alert.next_escalation_at = due
    enqueue(session, clock, TIMEOUT, {"alertId": alert.id, "generation": alert.escalation_generation},
            run_at=due, dedup_key=f"escalation:{alert.id}:{alert.escalation_generation}")


def _exhausted(session: Session, clock: Clock, alert: Alert) -> None:
    alert.next_escalation_at = None
    lifecycle.add_log(session, clock, alert, LogKind.ESCALATION,
                      "The escalation policy has no further level; the alert stays pending")


def advance(session: Session, clock: Clock, alert: Alert) -> None:
    """Page the next level now (or start again, for repeating policies)."""
    policy = session.get(EscalationPolicy, alert.escalation_policy_id) if alert.escalation_policy_id else None
    if policy is None or not policy.levels:
        alert.next_escalation_at = None
        return
    current = (alert.escalation_level or 0) - 1
    if current < 0:
        _enter_level(session, clock, alert, policy, 0, 0)
        return
    following = _following(policy, min(current, len(policy.levels) - 1), alert.escalation_round)
    if following is None:
        alert.escalation_generation += 1
        _exhausted(session, clock, alert)
        return
    _enter_level(session, clock, alert, policy, *following)


def escalate_now(session: Session, clock: Clock, alert: Alert, actor: User) -> None:
    """Manual escalation: page the next level at once. An accepted alert becomes pending again."""
    if alert.state == AlertState.RESOLVED.value:
        raise conflict("the alert is resolved and cannot be escalated", state=alert.state)
    if alert.escalation_policy_id is None:
        raise conflict("the alert has no escalation policy")
    if alert.state == AlertState.ACCEPTED.value:
        alert.state = AlertState.PENDING.value
        alert.accepted_at = None
        alert.accepted_by, alert.accepted_by_id = None, None
    lifecycle.add_log(session, clock, alert, LogKind.ESCALATION, f"Escalated by hand by {actor.name}", actor=actor)
    advance(session, clock, alert)


# --- job handlers ---------------------------------------------------------------------------


def on_alert_created(ctx: JobContext) -> None:
    alert = _lock(ctx.session, ctx.payload["alertId"])
    if alert is not None and alert.escalation_level is None:
        start(ctx.session, ctx.clock, alert)


def on_timeout(ctx: JobContext) -> None:
    alert = _lock(ctx.session, ctx.payload["alertId"])
    if alert is None or alert.state != AlertState.PENDING.value:
        return
    if alert.escalation_generation != ctx.payload["generation"]:
        return  # someone acted since this timer was set
    advance(ctx.session, ctx.clock, alert)


def on_reconcile(ctx: JobContext) -> None:
    """Find pending alerts whose next step is overdue with no timer to run it, and run it once."""
    now = ctx.clock.now()
    overdue = select(Alert.id).where(
        Alert.state == AlertState.PENDING.value, Alert.next_escalation_at < now - RECONCILE_GRACE
    ).limit(500)
    for alert_id in ctx.session.scalars(overdue).all():
        alert = _lock(ctx.session, alert_id)
        if alert is not None and alert.next_escalation_at is not None:
            lifecycle.add_log(ctx.session, ctx.clock, alert, LogKind.ESCALATION,
                              "Escalation step was overdue; running it now")
            advance(ctx.session, ctx.clock, alert)
    schedule_reconcile(ctx.session, ctx.clock)


def schedule_reconcile(session: Session, clock: Clock) -> None:
    enqueue(session, clock, RECONCILE, run_at=clock.now() + RECONCILE_EVERY, dedup_key=RECONCILE)


def register(registry: JobRegistry) -> None:
    registry.register(lifecycle.ALERT_CREATED, on_alert_created)
    registry.register(TIMEOUT, on_timeout)
    registry.register(RECONCILE, on_reconcile)
