"""API shapes for escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, model_validator

from tocsin.escalation.models import EscalationPolicy, TargetKind
from tocsin.escalation.service import MAX_LEVELS, MAX_TARGETS_PER_LEVEL, LevelSpec, PolicySpec
from tocsin.schemas import ApiInput, ApiModel, UserRef

DbId = Annotated[int, Field(ge=1, le=2**53)]


class TargetIn(ApiInput):
    type: TargetKind
    id: DbId


class LevelIn(ApiInput):
    escalation_timeout: int = Field(ge=1, le=7 * 24 * 60, description="Minutes before the next level is paged")
    targets: list[TargetIn] = Field(min_length=1, max_length=MAX_TARGETS_PER_LEVEL)


class RefIn(ApiInput):
    id: DbId


class PolicyIn(ApiInput):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    levels: list[LevelIn] = Field(min_length=1, max_length=MAX_LEVELS)
    repeating: bool = False
    repeat_times: int = Field(default=0, ge=0, le=20, description="Extra rounds after the last level")
    fallback_user: RefIn | None = Field(default=None, description="Paged when a level resolves to nobody")
    teams: list[RefIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _repeat(self) -> PolicyIn:
        if self.repeating and self.repeat_times < 1:
            raise ValueError("repeating needs repeatTimes of at least 1")
        return self

    def spec(self) -> PolicySpec:
        return PolicySpec(
            name=self.name,
            levels=[LevelSpec(lv.escalation_timeout, [(t.type, t.id) for t in lv.targets]) for lv in self.levels],
            repeating=self.repeating,
            repeat_times=self.repeat_times,
            fallback_user_id=self.fallback_user.id if self.fallback_user else None,
            team_ids=[t.id for t in self.teams],
        )


class TargetOut(ApiModel):
    type: TargetKind
    id: int


class LevelOut(ApiModel):
    escalation_timeout: int
    targets: list[TargetOut]


class TeamRef(ApiModel):
    id: int
    name: str


class PolicyOut(ApiModel):
    id: int
    name: str
    levels: list[LevelOut]
    repeating: bool
    repeat_times: int
    fallback_user: UserRef | None
    teams: list[TeamRef]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, policy: EscalationPolicy) -> PolicyOut:
        fallback = policy.fallback_user
        return cls(
            id=policy.id,
            name=policy.name,
            levels=[
                LevelOut(
                    escalation_timeout=level.timeout_minutes,
                    targets=[TargetOut(type=TargetKind(t.kind), id=t.target_id) for t in level.targets],
                )
                for level in policy.levels
            ],
            repeating=policy.repeating,
            repeat_times=policy.repeat_times,
            fallback_user=UserRef(id=fallback.id, name=fallback.name) if fallback else None,
            teams=[TeamRef(id=t.id, name=t.name) for t in policy.teams],
            created_at=policy.created_at,
            updated_at=policy.updated_at,
        )


class PreviewLevel(ApiModel):
    level: int = Field(description="1-based")
    at: datetime = Field(description="When this level would be paged if nobody accepts before")
    users: list[UserRef]
    fallback: bool = Field(description="Nobody was on call: the fallback user would be paged")


class PolicyPreview(ApiModel):
    policy_id: int
    at: datetime
    levels: list[PreviewLevel]
