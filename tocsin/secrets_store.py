"""Secrets the server makes for itself on first use and keeps in the database (app_secrets)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tocsin.clock import Clock
from tocsin.notifications.models import AppSecret


def get_or_create(session: Session, clock: Clock, name: str, make: Callable[[], str]) -> str:
    """The secret called `name`, created with `make()` the first time (race-safe: first writer wins)."""
    value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if value is not None:
        return value
    builder = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = builder(AppSecret).values(name=name, value=make(), created_at=clock.now())
    session.execute(stmt.on_conflict_do_nothing(index_elements=[AppSecret.name]))
    stored = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert stored is not None
    return stored
