"""Opaque cursors for newest-first lists keyed by id."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Query

from tocsin.errors import Problem

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=64, description="nextCursor from the previous page")]


def encode_cursor(before_id: int | None) -> str | None:
    if before_id is None:
        return None
    return base64.urlsafe_b64encode(f"id:{before_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id" or not value.isdigit() or len(value) > 18:
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "cursor is not one this API handed out", field="cursor") from None
