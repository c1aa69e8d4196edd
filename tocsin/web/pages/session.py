"""Login and logout pages (the same session login as POST /api/auth/login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from tocsin.auth import service as auth
from tocsin.auth import web_login
from tocsin.deps import SESSION_COOKIE, DbSession, State
from tocsin.errors import Problem
from tocsin.web import render
from tocsin.web.layout import context
from tocsin.web.routing import redirect, web_router

router = web_router()

Email = Annotated[str, Form(max_length=254)]
Password = Annotated[str, Form(max_length=1024)]
Next = Annotated[str, Form(max_length=2000)]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never //host or a scheme (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/alerts"
    return target


@router.get("/")
def home() -> Response:
    return RedirectResponse("/alerts", status_code=303)


@router.get("/login")
def login_page(request: Request, session: DbSession, state: State, next: str | None = None) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and auth.user_for_session_token(session, state.clock, token) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render.html(request, "login.html", context(request, None, title="Log in", next=safe_next(next),
                                                      email="", error=None))


@router.post("/login")
def login(request: Request, session: DbSession, state: State, email: Email, password: Password,
          next: Next = "/alerts") -> Response:
    try:
        _user, token = web_login.password_login(session, state, request, email, password)
    except Problem as problem:
        if problem.status not in (401, 429):
            raise
        ctx = context(request, None, title="Log in", next=safe_next(next), email=email, error=problem.detail)
        return render.html(request, "login.html", ctx, status=problem.status, headers=problem.headers)
    response = redirect(request, safe_next(next))
    web_login.set_session_cookie(response, state, request, token)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, state: State) -> Response:
    response = redirect(request, "/login")
    web_login.logout(session, state, request, response)
    return response
