"""Alert sources, alerts, inbound events and the alert log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.auth.models import Team, User
from tocsin.db import Base, JSONDoc, UTCDateTime
from tocsin.ids import IdType


class SourceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    IN_MAINTENANCE = "IN_MAINTENANCE"


class AlertCreation(StrEnum):
    ONE_ALERT_PER_EVENT = "ONE_ALERT_PER_EVENT"
    ONE_OPEN_ALERT_PER_KEY = "ONE_OPEN_ALERT_PER_KEY"
    ONE_PENDING_ALERT_PER_KEY = "ONE_PENDING_ALERT_PER_KEY"
    ONE_ALERT_GROUPED_PER_WINDOW = "ONE_ALERT_GROUPED_PER_WINDOW"


class PriorityRule(StrEnum):
    HIGH = "HIGH"
    LOW = "LOW"
    HIGH_DURING_SUPPORT_HOURS = "HIGH_DURING_SUPPORT_HOURS"
    LOW_DURING_SUPPORT_HOURS = "LOW_DURING_SUPPORT_HOURS"


class Priority(StrEnum):
    HIGH = "HIGH"
    LOW = "LOW"


class Severity(StrEnum):
    CRITICAL = "CRITICAL"
    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


class AlertState(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    RESOLVED = "RESOLVED"


OPEN_STATES = (AlertState.PENDING.value, AlertState.ACCEPTED.value)


class EventType(StrEnum):
    ALERT = "ALERT"
    ACCEPT = "ACCEPT"
    RESOLVE = "RESOLVE"
    COMMENT = "COMMENT"


class EventOutcome(StrEnum):
    CREATED = "CREATED"  # opened a new alert
    APPENDED = "APPENDED"  # added to an open alert (deduplicated)
    APPLIED = "APPLIED"  # accepted, resolved or commented an open alert
    IGNORED = "IGNORED"  # no open alert for the key, or the source is in maintenance
    TEST = "TEST"  # a vendor's test or set-up notification: recorded, never an alert


class LogKind(StrEnum):
    EVENT = "EVENT"
    STATE = "STATE"
    ASSIGNED = "ASSIGNED"
    COMMENT = "COMMENT"
    NOTIFICATION = "NOTIFICATION"
    ESCALATION = "ESCALATION"


alert_source_teams = Table(
    "alert_source_teams",
    Base.metadata,
    Column("alert_source_id", ForeignKey("alert_sources.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class AlertSource(Base):
    __tablename__ = "alert_sources"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    integration_type: Mapped[str] = mapped_column(String(64), default="API")
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    escalation_policy_id: Mapped[int | None] = mapped_column(IdType, default=None)
    status: Mapped[str] = mapped_column(String(16), default=SourceStatus.ACTIVE.value)
    alert_creation: Mapped[str] = mapped_column(String(40), default=AlertCreation.ONE_OPEN_ALERT_PER_KEY.value)
    grouping_window_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    auto_resolution_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    priority_rule: Mapped[str] = mapped_column(String(40), default=PriorityRule.HIGH.value)
    support_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)
    ignore_event_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the source's integration adapter needs beyond the key: a signing secret, a field mapping, ...
    integration_settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Loaded on access: the ingest path never needs them.
    teams: Mapped[list[Team]] = relationship(secondary=alert_source_teams)

    @property
    def team_ids(self) -> set[int]:
        return {t.id for t in self.teams}


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_source_key_state", "alert_source_id", "alert_key_norm", "state"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    alert_source_id: Mapped[int] = mapped_column(ForeignKey("alert_sources.id", ondelete="CASCADE"))
    alert_key: Mapped[str] = mapped_column(String(255))
    alert_key_norm: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(String(1024))
    details: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(16), default=AlertState.PENDING.value, index=True)
    priority: Mapped[str] = mapped_column(String(8))
    severity: Mapped[str | None] = mapped_column(String(16), default=None)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    labels: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)
    custom_details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    escalation_policy_id: Mapped[int | None] = mapped_column(IdType, default=None)
    escalation_level: Mapped[int | None] = mapped_column(Integer, default=None)
    # Bumped by every action; a timer carrying an older generation is stale and does nothing.
    escalation_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalation_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)

    source: Mapped[AlertSource] = relationship(lazy="joined")
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="joined")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id], lazy="joined")


class InboundEvent(Base):
    """Every event we answered 202 to, with what it did."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    alert_source_id: Mapped[int] = mapped_column(ForeignKey("alert_sources.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"), default=None)
    event_type: Mapped[str] = mapped_column(String(16))
    alert_key: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSONDoc)


class AlertLogEntry(Base):
    __tablename__ = "alert_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    inbound_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_events.id", ondelete="SET NULL"), default=None
    )
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)

    actor: Mapped[User | None] = relationship(lazy="joined")
