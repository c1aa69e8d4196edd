"""Per-user notification rules: for each alert priority, which channels after how many minutes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.alerts.models import Priority
from tocsin.notifications.models import Channel, NotificationRule


@dataclass(frozen=True)
class RuleStep:
    channel: Channel
    delay_minutes: int


DEFAULT_RULES: dict[Priority, list[RuleStep]] = {
    Priority.HIGH: [
        RuleStep(Channel.PUSH, 0),
        RuleStep(Channel.EMAIL, 0),
        RuleStep(Channel.SMS, 5),
        RuleStep(Channel.VOICE, 10),
    ],
    Priority.LOW: [RuleStep(Channel.EMAIL, 0)],
}


def rules_for(session: Session, user_id: int, priority: Priority) -> list[RuleStep]:
    query = (
        select(NotificationRule)
        .where(NotificationRule.user_id == user_id, NotificationRule.priority == priority.value)
        .order_by(NotificationRule.position)
    )
    return [RuleStep(Channel(r.channel), r.delay_minutes) for r in session.scalars(query)]


def set_rules(session: Session, user_id: int, priority: Priority, steps: list[RuleStep]) -> None:
    session.execute(
        delete(NotificationRule).where(NotificationRule.user_id == user_id,
                                       NotificationRule.priority == priority.value)
    )
    ordered = sorted(steps, key=lambda step: step.delay_minutes)
    for position, step in enumerate(ordered):
        session.add(NotificationRule(user_id=user_id, priority=priority.value, position=position,
                                     channel=step.channel.value, delay_minutes=step.delay_minutes))
    session.flush()


def create_default_rules(session: Session, user_id: int) -> None:
    for priority, steps in DEFAULT_RULES.items():
        set_rules(session, user_id, priority, steps)
