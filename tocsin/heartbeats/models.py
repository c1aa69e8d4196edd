"""Heartbeat monitors: expected check-ins and when the current interval started."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.alerts.models import AlertSource
from tocsin.db import Base, UTCDateTime
from tocsin.ids import IdType


class HeartbeatStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


class HeartbeatState(StrEnum):
    NEW = "NEW"  # no ping yet, first interval still running
    UP = "UP"  # pinged within interval + grace
    OVERDUE = "OVERDUE"  # a ping is late (an alert was raised, or is about to be)


class HeartbeatMonitor(Base):
    __tablename__ = "heartbeat_monitors"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    alert_source_id: Mapped[int] = mapped_column(ForeignKey("alert_sources.id", ondelete="CASCADE"), index=True)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(String(1024), default=None)
    status: Mapped[str] = mapped_column(String(16), default=HeartbeatStatus.ACTIVE.value)
    # The ping key is a secret: only its SHA-256 digest is stored (like integration keys).
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8))
    last_ping_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The current interval started here: at creation, at the last ping, or when un-paused.
    period_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A missed ping raised an alert that the next ping resolves.
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    source: Mapped[AlertSource] = relationship()
