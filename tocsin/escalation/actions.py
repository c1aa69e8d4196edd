"""Escalation actions a person takes on an alert."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.alerts import service as alerts
from tocsin.alerts.models import Alert
from tocsin.auth.models import User
from tocsin.clock import Clock
from tocsin.escalation import engine


def escalate(session: Session, clock: Clock, user: User, alert_id: int) -> Alert:
    """Page the next level now (an accepted alert becomes pending again)."""
    alert = alerts.get_actionable(session, user, alert_id)
    engine.escalate_now(session, clock, alert, user)
    return alert
