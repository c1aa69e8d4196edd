"""Alert sources: configuration, integration keys, and who may change them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tocsin.alerts.models import AlertCreation, AlertSource, PriorityRule, SourceStatus
from tocsin.alerts.visibility import can_see_source, visible_sources
from tocsin.auth import security
from tocsin.auth.models import User
from tocsin.auth.service import can_configure, owner_teams
from tocsin.clock import Clock
from tocsin.errors import Problem, forbidden, not_found
from tocsin.escalation.models import EscalationPolicy
from tocsin.integrations import source_settings

# Integration types handled outside the inbound adapter registry; every adapter in
# tocsin.integrations.vendors adds its own (see integration_types()).
INTEGRATION_TYPES: set[str] = {"API", "EMAIL", "HEARTBEAT"}

SOURCE_DEFAULTS: dict[str, Any] = {
    "integration_type": "API",
    "escalation_policy_id": None,
    "team_ids": [],
    "status": SourceStatus.ACTIVE.value,
    "alert_creation": AlertCreation.ONE_OPEN_ALERT_PER_KEY.value,
    "grouping_window_seconds": None,
    "auto_resolution_seconds": None,
    "priority_rule": PriorityRule.HIGH.value,
    "support_hours": None,
    "ignore_event_priority": False,
    "integration_settings": {},
}

def get_visible_source(session: Session, user: User, source_id: int) -> AlertSource:
    source = session.get(AlertSource, source_id)
    if source is None or not can_see_source(user, source):
        raise not_found("alert source")
    return source


def list_sources(session: Session, user: User) -> list[AlertSource]:
    query = select(AlertSource).where(visible_sources(user)).options(selectinload(AlertSource.teams))
    return list(session.scalars(query.order_by(AlertSource.id)))


def require_can_manage(user: User, source: AlertSource) -> None:
    if user.is_admin:
        return
    if not can_configure(user):
        raise forbidden("your role may not change alert sources")
    if not source.teams or not (source.team_ids & user.team_ids):
        raise forbidden("only admins and members of the source's teams may change it")


def apply_settings(session: Session, user: User, source: AlertSource, changes: dict[str, Any]) -> None:
    """Apply validated field changes (snake_case keys) to a source, checking references and rules."""
    if "integration_type" in changes and changes["integration_type"] not in integration_types():
        known = ", ".join(sorted(integration_types()))
        raise Problem(400, f"unknown integrationType {changes['integration_type']!r}; known: {known}",
                      field="integrationType")
    if "integration_type" in changes or "integration_settings" in changes:
        changes["integration_settings"] = _integration_settings(source, changes)
    policy_id = changes.get("escalation_policy_id")
    if policy_id is not None and session.get(EscalationPolicy, policy_id) is None:
        raise Problem(400, f"escalation policy {changes['escalation_policy_id']} does not exist",
                      field="escalationPolicy")
    if "team_ids" in changes:
        source.teams = owner_teams(session, user, changes.pop("team_ids"), "the alert source")
    for name, value in changes.items():
        setattr(source, name, value)
    if source.alert_creation == AlertCreation.ONE_ALERT_GROUPED_PER_WINDOW.value and not source.grouping_window_seconds:
        raise Problem(400, "ONE_ALERT_GROUPED_PER_WINDOW needs an alertGroupingWindow such as PT5M",
                      field="alertGroupingWindow")
    if source.priority_rule.endswith("_DURING_SUPPORT_HOURS") and not source.support_hours:
        raise Problem(400, f"{source.priority_rule} needs supportHours", field="supportHours")


def integration_types() -> set[str]:
    return INTEGRATION_TYPES | source_settings.known_types()


def _integration_settings(source: AlertSource, changes: dict[str, Any]) -> dict[str, Any]:
    """The settings checked by the (new) type; a new type without new settings starts from none."""
    new_type = changes.get("integration_type", source.integration_type)
    same_type = new_type == source.integration_type
    previous = source.integration_settings if same_type and source.integration_settings else None
    settings = changes.get("integration_settings", previous if same_type else {})
    return source_settings.validated(new_type, settings or {}, previous)


def create_source(session: Session, clock: Clock, user: User, changes: dict[str, Any]) -> tuple[AlertSource, str]:
    if not can_configure(user):
        raise forbidden("your role may not create alert sources")
    key = security.new_integration_key()
    now = clock.now()
    source = AlertSource(key_digest=security.digest(key), key_hint=key[-4:], created_at=now, updated_at=now)
    apply_settings(session, user, source, {**SOURCE_DEFAULTS, **changes})
    session.add(source)
    session.flush()
    return source, key


def update_source(session: Session, clock: Clock, user: User, source: AlertSource, changes: dict[str, Any]) -> None:
    require_can_manage(user, source)
    apply_settings(session, user, source, changes)
    source.updated_at = clock.now()
    session.flush()


def rotate_key(session: Session, clock: Clock, user: User, source: AlertSource) -> str:
    require_can_manage(user, source)
    key = security.new_integration_key()
    source.key_digest = security.digest(key)
    source.key_hint = key[-4:]
    source.updated_at = clock.now()
    session.flush()
    return key


def delete_source(session: Session, user: User, source: AlertSource) -> None:
    require_can_manage(user, source)
    session.delete(source)
