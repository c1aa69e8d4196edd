"""The web router: every page route answers in HTML (errors too), carries the security headers, and has
its writes checked for a CSRF token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from tocsin.errors import Problem, validation_errors
from tocsin.web import render
from tocsin.web.security import HEADERS, LoginRequired, check_csrf, csrf_token, remember_anonymous_csrf

log = logging.getLogger(__name__)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect(request: Request, url: str) -> Response:
    """Go to `url`: a full page load for htmx requests too (HX-Redirect), 303 See Other otherwise."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def form_problem(exc: ValidationError, names: dict[str, str] | None = None) -> Problem:
    """A 400 naming the first invalid field as the form labels it."""
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first.get("loc", ()))
    label = (names or {}).get(path, path.replace("_", " "))
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return Problem(400, f"{label}: {message}" if label else message, field=path or None)


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if is_htmx(request):  # a fragment: come back to the page that asked for it
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = current.path + (f"?{current.query}" if current.query else "") if current.path else "/"
    url = "/login" if target in ("/", "/alerts") else f"/login?next={quote(target, safe='')}"
    return redirect(request, url)


def error_response(request: Request, problem: Problem) -> Response:
    """htmx: the message in the page's toast area. Otherwise: a small page with the message."""
    headers = dict(problem.headers or {})
    context = {"message": problem.detail, "status": problem.status, "title": problem.title}
    if is_htmx(request):
        headers.update({"HX-Retarget": "#toast", "HX-Reswap": "innerHTML"})
        return render.html(request, "_toast.html", {**context, "kind": "error"}, status=problem.status,
                           headers=headers)
    return render.html(request, "error.html", context, status=problem.status, headers=headers)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = _login_redirect(request)
            except Problem as problem:
                response = error_response(request, problem)
            except RequestValidationError as exc:
                errors = validation_errors(exc)
                first = errors[0] if errors else {"field": "", "message": "invalid request"}
                response = error_response(request, Problem(400, f"{first['field']}: {first['message']}"))
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            remember_anonymous_csrf(request, response)
            return response

        return handle


def web_router() -> APIRouter:
    return APIRouter(route_class=WebRoute, include_in_schema=False, dependencies=[Depends(check_csrf)])


def base_context(request: Request) -> dict[str, Any]:
    return {"csrf": csrf_token(request)}
