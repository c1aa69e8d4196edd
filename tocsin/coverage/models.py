"""Coverage requests: A asks B (or a team) to take some of A's on-call shifts; B accepts or declines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.db import Base, JSONDoc, UTCDateTime
from tocsin.ids import IdType


class CoverageState(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"


class CoverageAction(StrEnum):
    CREATED = "CREATED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    REMINDED = "REMINDED"  # the receivers were reminded
    STILL_YOURS = "STILL_YOURS"  # the first shift started with the request still pending: sender told


class CoverageRequest(Base):
    __tablename__ = "coverage_requests"
    __table_args__ = (Index("ix_coverage_requests_sender_state", "sender_id", "state"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A direct request names its receiver; a broadcast names a team and has one recipient per member.
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    receiver_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[str] = mapped_column(String(16), default=CoverageState.PENDING.value)
    decline_comment: Mapped[str | None] = mapped_column(Text, default=None)
    first_start: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the end of the last shift
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    shifts: Mapped[list[CoverageShift]] = relationship(
        cascade="all, delete-orphan", order_by="CoverageShift.position", lazy="selectin"
    )
    recipients: Mapped[list[CoverageRecipient]] = relationship(
        cascade="all, delete-orphan", order_by="CoverageRecipient.user_id", lazy="selectin"
    )


class CoverageShift(Base):
    __tablename__ = "coverage_shifts"
    __table_args__ = (Index("ix_coverage_shifts_schedule_range", "schedule_id", "start", "end"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("coverage_requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class CoverageRecipient(Base):
    """One person a request was sent to, and their own answer (a broadcast has several)."""

    __tablename__ = "coverage_recipients"

    request_id: Mapped[int] = mapped_column(ForeignKey("coverage_requests.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default=CoverageState.PENDING.value)
    decline_comment: Mapped[str | None] = mapped_column(Text, default=None)
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CoverageEvent(Base):
    """The request's history: who did what, when."""

    __tablename__ = "coverage_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("coverage_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class CoverageLinkUse(Base):
    """Email action links are single-use: the nonce of each used link."""

    __tablename__ = "coverage_link_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
