"""Rendering a whole page (with navigation) or a fragment for the logged-in user."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.deps import app_state
from tocsin.web import nav, render
from tocsin.web.security import csrf_token


def context(request: Request, user: User | None, **extra: Any) -> dict[str, Any]:
    return {"user": user, "csrf": csrf_token(request), "now": app_state(request).clock.now(),
            "tz": user.timezone if user else "UTC", **extra}


def page(request: Request, session: Session, user: User, template: str, *, title: str, active: str,
         status: int = 200, **extra: Any) -> HTMLResponse:
    ctx = context(request, user, title=title, nav=nav.build(session, user, active), **extra)
    return render.html(request, template, ctx, status=status)


def fragment(request: Request, user: User, template: str, *, status: int = 200,
             headers: dict[str, str] | None = None, **extra: Any) -> HTMLResponse:
    return render.html(request, template, context(request, user, **extra), status=status, headers=headers)


def toast(request: Request, message: str, *, kind: str = "ok") -> HTMLResponse:
    """A short confirmation shown in the page's status area (htmx requests)."""
    return render.html(request, "_toast.html", {"message": message, "kind": kind},
                       headers={"HX-Retarget": "#toast", "HX-Reswap": "innerHTML"})
