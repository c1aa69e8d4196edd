"""Password login for the web session: rate limits, the session row, and the cookie that carries it."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tocsin.auth import service
from tocsin.auth.models import User
from tocsin.deps import SESSION_COOKIE, AppState
from tocsin.errors import Problem


def password_login(session: Session, state: AppState, request: Request, email: str, password: str) -> tuple[User, str]:
    """The user and a new session token; 401 for a wrong email or password, 429 over the rate limits."""
    client = request.client.host if request.client else "unknown"
    state.login_limiter.check(f"ip:{client}", "login attempts from this address")
    state.login_limiter.check(f"email:{service.normalize_email(email)}", "login attempts for this account")
    user = service.authenticate(session, email, password)
    if user is None:
        raise Problem(401, "wrong email or password", slug="login-failed")
    return user, service.open_login_session(session, state.clock, user, state.settings.session_days)


def _secure(state: AppState, request: Request) -> bool:
    return state.settings.secure_cookies or request.url.scheme == "https"


def set_session_cookie(response: Response, state: AppState, request: Request, token: str) -> None:
    """HttpOnly, SameSite=Lax, Secure over https."""
    response.set_cookie(SESSION_COOKIE, token, max_age=state.settings.session_days * 86400, httponly=True,
                        samesite="lax", secure=_secure(state, request), path="/")


def logout(session: Session, state: AppState, request: Request, response: Response) -> None:
    """Close the request's login session and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.close_login_session(session, token)
    # The same attributes as when it was set, or a browser may keep the Secure cookie.
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(state, request))
