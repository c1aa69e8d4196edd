"""Base shapes for the JSON API: camelCase on the wire, strict input, cursor pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Path
from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """Output shape: camelCase aliases."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ApiInput(BaseModel):
    """Input shape: camelCase aliases, unknown fields are an error (typos must not pass silently)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class UserRef(ApiModel):
    id: int
    name: str


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


Timestamp = AwareDatetime


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# Ids in paths are bounded so that no client can push a number the database cannot hold.
PathId = Annotated[int, Path(ge=1, le=2**53)]
