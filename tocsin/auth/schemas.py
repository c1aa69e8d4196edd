"""API shapes for users, teams, API keys and login."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from tocsin.auth.models import ApiKey, Role, Team, TeamRole, User
from tocsin.schemas import ApiInput, ApiModel
from tocsin.timezones import require_timezone


def _fits_lower_cased(email: str) -> str:
    # Emails are stored lower-cased, and lower-casing may lengthen a text ("İ" becomes "i̇").
    if len(email.strip().lower()) > 254:
        raise ValueError("must be at most 254 characters, also when lower-cased")
    return email


Email = Annotated[
    str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(_fits_lower_cased)
]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Password = Annotated[str, Field(min_length=8, max_length=1024)]
Language = Annotated[str, Field(min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")]
Timezone = Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Berlin"])]


class UserOut(ApiModel):
    id: int
    email: str
    name: str
    timezone: str
    language: str
    role: Role
    teams: list[int] = Field(description="Ids of the teams the user belongs to")
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, email=user.email, name=user.name, timezone=user.timezone, language=user.language,
            role=Role(user.role), teams=sorted(user.team_ids), created_at=user.created_at,
        )


class _ZoneChecked(ApiInput):
    @field_validator("timezone", check_fields=False)
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return require_timezone(value) if value is not None else None


class UserCreate(_ZoneChecked):
    email: Email
    name: Name
    role: Role = Role.RESPONDER
    timezone: Timezone = "UTC"
    language: Language = "en"
    password: Password | None = Field(default=None, description="Leave out for API-only users")


class UserUpdate(_ZoneChecked):
    """Fields left out keep their value. Only admins may change role or email."""

    email: Email | None = None
    name: Name | None = None
    role: Role | None = None
    timezone: Timezone | None = None
    language: Language | None = None
    password: Password | None = Field(default=None, description="Admins only; users use /api/users/me/password")


class ProfileUpdate(_ZoneChecked):
    name: Name | None = None
    timezone: Timezone | None = None
    language: Language | None = None


class PasswordChange(ApiInput):
    current_password: str = Field(max_length=1024)
    new_password: Password


class LoginIn(ApiInput):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TeamMemberIn(ApiInput):
    user_id: int = Field(ge=1, le=2**53)
    role: TeamRole = TeamRole.MEMBER


class TeamIn(ApiInput):
    name: Name
    members: list[TeamMemberIn] = Field(default_factory=list, max_length=1000)


class TeamUpdate(ApiInput):
    name: Name | None = None
    members: list[TeamMemberIn] | None = Field(default=None, max_length=1000)


class TeamMemberOut(ApiModel):
    user_id: int
    name: str
    role: TeamRole


class TeamOut(ApiModel):
    id: int
    name: str
    members: list[TeamMemberOut]
    created_at: datetime

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        members = [TeamMemberOut(user_id=m.user_id, name=m.user.name, role=TeamRole(m.role)) for m in team.members]
        members.sort(key=lambda m: m.name)
        return cls(id=team.id, name=team.name, members=members, created_at=team.created_at)


class ApiKeyIn(ApiInput):
    name: Name = "API key"


class ApiKeyOut(ApiModel):
    id: int
    user_id: int
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id, user_id=key.user_id, name=key.name, prefix=key.prefix, created_at=key.created_at,
            last_used_at=key.last_used_at, revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret; shown only in this answer")
