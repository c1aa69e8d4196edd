"""Base shapes for the JSON API: camelCase on the wire, strict input, cursor pages."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

from tocsin.errors import printable

# JSON documents clients send are stored as they are (custom details, labels); deeper is refused.
MAX_JSON_DEPTH = 32
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def check_storable(value: Any, *, path: str = "", depth: int = 0) -> Any:
    """Refuse what JSON can carry but the databases cannot store or answer back faithfully.

    NUL characters (PostgreSQL text and JSONB reject them), unpaired UTF-16 surrogates ("\\ud800" is
    valid JSON but not UTF-8), NaN and Infinity (not JSON at all on the way out), and documents nested
    deeper than MAX_JSON_DEPTH. Raises ValueError naming the place; returns the value unchanged.
    """
    where = f"{printable(path)}: " if path else ""
    if isinstance(value, str):
        found = _UNSTORABLE_CHARACTER.search(value)
        if found is not None:
            what = "the NUL character (\\u0000)" if found.group() == "\x00" else "an unpaired surrogate (not UTF-8)"
            raise ValueError(f"{where}text must not contain {what}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}numbers must be finite (no NaN or Infinity)")
    elif isinstance(value, dict | list | tuple):
        if depth >= MAX_JSON_DEPTH:
            raise ValueError(f"{where}nested deeper than {MAX_JSON_DEPTH} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                check_storable(key, path=inner, depth=depth + 1)
            check_storable(item, path=inner, depth=depth + 1)
    return value


class StorableInput(BaseModel):
    """Base of every model that parses client input: each field's raw value must be storable."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return check_storable(value)


class ApiModel(BaseModel):
    """Output shape: camelCase aliases."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ApiInput(StorableInput):
    """Input shape: camelCase aliases, unknown fields are an error (typos must not pass silently)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class UserRef(ApiModel):
    id: int
    name: str


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is valid ISO 8601, but not a time in year 1 UTC
        raise ValueError("the time is out of range once converted to UTC") from None


# An instant: an offset is required (naive times are refused); normalised to UTC.
Timestamp = Annotated[AwareDatetime, AfterValidator(_in_utc)]

ON_CALL_YEARS = (1970, 2199)


def _on_call_range(moment: datetime) -> datetime:
    first, last = ON_CALL_YEARS
    if not first <= moment.year <= last:
        raise ValueError(f"give a time between the years {first} and {last}")
    return moment


# An instant schedules compute with (layer starts, overrides, shift ranges): far enough from the ends of the
# calendar that a window of a year around it, in any time zone, stays representable.
OnCallTime = Annotated[Timestamp, AfterValidator(_on_call_range)]


# Free text in a query string (URL-decoding cannot produce surrogates, but %00 is a NUL).
QueryText = Annotated[str, AfterValidator(check_storable)]

# Ids in paths are bounded so that no client can push a number the database cannot hold.
PathId = Annotated[int, Path(ge=1, le=2**53)]
