"""Schedules, their layers and members, explicit shifts, overrides, calendar feeds and shift reminders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.auth.models import Team, User
from tocsin.db import Base, JSONDoc, UTCDateTime
from tocsin.ids import IdType


class ScheduleType(StrEnum):
    RECURRING = "RECURRING"  # layers of rotations
    STATIC = "STATIC"  # a list of explicit shifts


schedule_teams = Table(
    "schedule_teams",
    Base.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    timezone: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16), default=ScheduleType.RECURRING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    teams: Mapped[list[Team]] = relationship(secondary=schedule_teams, lazy="selectin")
    layers: Mapped[list[ScheduleLayer]] = relationship(
        cascade="all, delete-orphan", order_by="ScheduleLayer.position", lazy="selectin"
    )
    static_shifts: Mapped[list[StaticShift]] = relationship(
        cascade="all, delete-orphan", order_by="StaticShift.start", lazy="selectin"
    )

    @property
    def team_ids(self) -> set[int]:
        return {t.id for t in self.teams}


class ScheduleLayer(Base):
    __tablename__ = "schedule_layers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    shift_unit: Mapped[str] = mapped_column(String(8))
    shift_length: Mapped[int] = mapped_column(Integer)
    # [{"weekdays": ["MON", ...], "start": "18:00", "end": "08:00"}]
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)

    members: Mapped[list[ScheduleLayerMember]] = relationship(
        cascade="all, delete-orphan", order_by="ScheduleLayerMember.position", lazy="selectin"
    )


class ScheduleLayerMember(Base):
    __tablename__ = "schedule_layer_members"

    layer_id: Mapped[int] = mapped_column(ForeignKey("schedule_layers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class StaticShift(Base):
    __tablename__ = "schedule_static_shifts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduleOverride(Base):
    """A user on call for a time range, whatever the layers say. Overrides of a schedule never overlap."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_schedule_end", "schedule_id", "end"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class CalendarFeed(Base):
    """A secret iCal URL: one schedule's shifts, or (schedule_id NULL) the user's own shifts."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), default=None)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ShiftReminder(Base):
    """Remind the user this many minutes before each of their on-call shifts starts."""

    __tablename__ = "shift_reminders"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    minutes_before: Mapped[int] = mapped_column(Integer)
