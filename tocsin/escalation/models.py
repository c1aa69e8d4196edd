"""Escalation policies: ordered levels of targets, each with a timeout before the next level."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tocsin.auth.models import Team, User
from tocsin.db import Base, UTCDateTime
from tocsin.ids import IdType


class TargetKind(StrEnum):
    USER = "USER"
    SCHEDULE = "SCHEDULE"  # whoever is on call in the schedule at that moment
    TEAM = "TEAM"  # every member of the team


escalation_policy_teams = Table(
    "escalation_policy_teams",
    Base.metadata,
    Column("escalation_policy_id", ForeignKey("escalation_policies.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # After the last level, start again at level 1, at most `repeat_times` more rounds.
    repeating: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_times: Mapped[int] = mapped_column(Integer, default=0)
    fallback_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    levels: Mapped[list[EscalationLevel]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="EscalationLevel.position", lazy="selectin"
    )
    teams: Mapped[list[Team]] = relationship(secondary=escalation_policy_teams)
    fallback_user: Mapped[User | None] = relationship(lazy="joined")

    @property
    def team_ids(self) -> set[int]:
        return {t.id for t in self.teams}


class EscalationLevel(Base):
    __tablename__ = "escalation_levels"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    timeout_minutes: Mapped[int] = mapped_column(Integer)

    policy: Mapped[EscalationPolicy] = relationship(back_populates="levels")
    targets: Mapped[list[EscalationTarget]] = relationship(
        back_populates="level", cascade="all, delete-orphan", order_by="EscalationTarget.id", lazy="selectin"
    )


class EscalationTarget(Base):
    __tablename__ = "escalation_targets"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("escalation_levels.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # A user, team or schedule id, by kind (schedules live in their own package).
    target_id: Mapped[int] = mapped_column(IdType)

    level: Mapped[EscalationLevel] = relationship(back_populates="targets")
