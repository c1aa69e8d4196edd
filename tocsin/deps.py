"""Per-request plumbing shared by every router: app state, database session, the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import update
from sqlalchemy.orm import Session

from tocsin.auth import service as auth
from tocsin.auth.models import ApiKey, User
from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.engine.queue import queued_due_work
from tocsin.engine.registry import JobRegistry
from tocsin.errors import Problem
from tocsin.integrations.base import Fetcher
from tocsin.integrations.fetch import HttpsFetcher
from tocsin.ratelimit import RateLimiter
from tocsin.settings import Settings

SESSION_COOKIE = "tocsin_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class AppState:
    settings: Settings
    db: Database
    clock: Clock
    registry: JobRegistry
    # Set after a commit that wrote a due job, so an in-process worker wakes without polling delay.
    jobs_waiting: threading.Event = field(default_factory=threading.Event)
    # How inbound adapters reach their vendor (SNS certificates); tests put their own here.
    fetcher: Fetcher = field(default_factory=HttpsFetcher)
    login_limiter: RateLimiter = field(init=False)
    event_limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.login_limiter = RateLimiter(self.settings.login_rate_per_minute / 60, self.settings.login_burst)
        self.event_limiter = RateLimiter(self.settings.event_rate_per_key, self.settings.event_burst_per_key)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.tocsin
    return state


State = Annotated[AppState, Depends(app_state)]


def _session(request: Request) -> Iterator[Session]:
    state = app_state(request)
    write = request.method not in SAFE_METHODS
    request.state.db_write = write
    with state.db.session(write=write) as session:
        yield session
    if queued_due_work(session):
        state.jobs_waiting.set()  # after the commit: the worker finds the job when it wakes


# scope="function": the transaction commits before the response is sent, so a 2xx means durable.
DbSession = Annotated[Session, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key created under /api/api-keys")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="Web app login session")


def _unauthenticated(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _check_same_origin(request: Request, settings: Settings) -> None:
    """Cookie-authenticated writes must come from our own pages (defence in depth next to SameSite).

    Our pages are those of the Host the request names or of the public base URL (a reverse proxy
    may pass its own upstream address as Host)."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    ours = {request.headers.get("host", "").lower(), urlsplit(settings.base_url).netloc.lower()}
    netloc = urlsplit(origin).netloc.lower()
    if not netloc or netloc not in ours:
        raise Problem(403, "cross-origin request refused", slug="csrf")


def current_user(
    request: Request,
    session: DbSession,
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> User:
    if bearer is not None:
        key = auth.api_key_for_token(session, bearer.credentials)
        if key is None:
            raise _unauthenticated("the API key is unknown or revoked")
        now = state.clock.now()
        if auth.api_key_needs_touch(key, now):
            _touch_api_key(request, session, state, key.id, now)
        return auth.get_user(session, key.user_id)
    if cookie:
        user = auth.user_for_session_token(session, state.clock, cookie)
        if user is None:
            raise _unauthenticated("the login session has expired; log in again")
        if request.method not in SAFE_METHODS:
            _check_same_origin(request, state.settings)
        return user
    raise _unauthenticated("send an API key as 'Authorization: Bearer <key>' or log in")


def _touch_api_key(request: Request, session: Session, state: AppState, key_id: int, now: datetime) -> None:
    # A read request holds no write lock; on SQLite it must not take one mid-way, so it writes apart.
    if getattr(request.state, "db_write", False):
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        return
    with state.db.session(write=True) as writer:
        writer.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


CurrentUser = Annotated[User, Depends(current_user)]


def require_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Problem(403, "only admins may do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
