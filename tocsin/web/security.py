"""Who is logged in to the web app, CSRF tokens for its forms, and the headers every page carries.

A CSRF token is an HMAC, under a key the server keeps in app_secrets, of the login session's digest
(or, before login, of a random value in a cookie of its own). Every non-GET web route checks it, taken
from the form field or, for htmx requests, from the X-CSRF-Token header the page sets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from tocsin.auth import service as auth
from tocsin.auth.models import User
from tocsin.auth.security import digest
from tocsin.deps import SAFE_METHODS, SESSION_COOKIE, AppState, DbSession, State, app_state
from tocsin.errors import Problem
from tocsin.secrets_store import get_or_create

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS_COOKIE = "tocsin_csrf"
KEY_NAME = "web-csrf-key"

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """No valid login session: the page answers with the login page instead."""


def _load_key(state: AppState) -> bytes:
    from sqlalchemy import select

    from tocsin.notifications.models import AppSecret

    with state.db.session() as session:
        value = session.scalar(select(AppSecret.value).where(AppSecret.name == KEY_NAME))
    if value is None:
        with state.db.session(write=True) as session:
            value = get_or_create(session, state.clock, KEY_NAME, lambda: secrets.token_hex(32))
    return bytes.fromhex(value)


def csrf_key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "web_csrf_key", None)
    if key is None:
        key = _load_key(app_state(request))
        request.app.state.web_csrf_key = key
    return key


def _binding(request: Request) -> str | None:
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return "s:" + digest(session_token)
    anonymous = request.cookies.get(ANONYMOUS_COOKIE) or getattr(request.state, "new_anonymous_csrf", None)
    return "a:" + anonymous if anonymous else None


def csrf_token(request: Request) -> str:
    """The token for forms on this page (before login, also sets up the cookie it is bound to)."""
    binding = _binding(request)
    if binding is None:
        request.state.new_anonymous_csrf = secrets.token_urlsafe(24)
        binding = _binding(request)
        assert binding is not None
    return hmac.new(csrf_key(request), binding.encode(), hashlib.sha256).hexdigest()


def remember_anonymous_csrf(request: Request, response: object) -> None:
    """Set the pre-login CSRF cookie if this request made one."""
    value = getattr(request.state, "new_anonymous_csrf", None)
    if value is not None and hasattr(response, "set_cookie"):
        response.set_cookie(ANONYMOUS_COOKIE, value, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")


async def check_csrf(request: Request) -> None:
    """Refuse a write without the page's CSRF token (GET and HEAD change nothing and need none)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    binding = _binding(request)
    if sent and binding:
        key = await run_in_threadpool(csrf_key, request)
        expected = hmac.new(key, binding.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(sent.encode(), expected.encode()):
            return
    raise Problem(403, "this form has expired or did not come from tocsin; reload the page and try again",
                  slug="csrf")


def web_user(request: Request, session: DbSession, state: State) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    user = auth.user_for_session_token(session, state.clock, token) if token else None
    if user is None:
        raise LoginRequired
    request.state.web_user = user
    return user


WebUser = Annotated[User, Depends(web_user)]
