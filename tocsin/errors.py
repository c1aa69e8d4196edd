"""RFC 9457 problem details: the one error shape every endpoint answers with."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: ("validation", "Invalid request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def printable(text: str) -> str:
    """Client text safe to echo in an error: control characters and lone surrogates as \\uXXXX escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Problem(Exception):
    """An error a client caused or should know about; rendered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        field: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        default_slug, default_title = _TITLES.get(status, ("error", "Error"))
        self.status = status
        self.detail = detail
        self.slug = slug or default_slug
        self.title = title or default_title
        self.field = field
        self.errors = list(errors) if errors else None
        self.extra = extra or {}
        self.headers = headers

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": printable(self.detail),
        }
        if instance:
            body["instance"] = printable(instance)
        if self.field:
            body["field"] = printable(self.field)
        if self.errors:
            body["errors"] = [{k: printable(v) if isinstance(v, str) else v for k, v in e.items()} for e in self.errors]
        body.update(self.extra)
        return body


def bad_request(detail: str, field: str | None = None) -> Problem:
    return Problem(400, detail, field=field)


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} not found")


def forbidden(detail: str) -> Problem:
    return Problem(403, detail)


def conflict(detail: str, **extra: Any) -> Problem:
    return Problem(409, detail, extra=extra)


def problem_response(problem: Problem, request: Request | None = None) -> Response:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.body(instance),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as {field, message}, field a dotted path without the 'body' prefix."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header"}:
            where, loc = loc[0], loc[1:]
        else:
            where = "body"
        field = printable(".".join(loc)) if loc else where
        message = printable(str(err.get("msg", "invalid value")))
        if err.get("type") == "json_invalid":
            field, message = "body", "body is not valid JSON: " + str(err.get("ctx", {}).get("error", message))
        out.append({"field": field, "in": where, "message": message})
    return out


# A path may answer errors in a vendor's own format (e.g. PagerDuty's Events API).
ErrorRenderer = Callable[[Request, int, str, list[str]], Response]
_renderers: dict[str, ErrorRenderer] = {}
_prefix_renderers: dict[str, ErrorRenderer] = {}


def register_error_renderer(path: str, renderer: ErrorRenderer, *, prefix: bool = False) -> None:
    """Render errors of `path` (with `prefix`, of every path below it too) with `renderer`."""
    (_prefix_renderers if prefix else _renderers)[path] = renderer


def renderer_for(request: Request) -> ErrorRenderer | None:
    path = request.url.path.rstrip("/")
    found = _renderers.get(path)
    if found is None:
        found = next((r for p, r in _prefix_renderers.items() if path == p or path.startswith(p + "/")), None)
    return found


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette's Allow names only the first route's)."""
    routes = request.app.router.routes
    return [m for m in _METHODS if any(r.matches({**request.scope, "method": m})[0] is Match.FULL for r in routes)]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        custom = renderer_for(request)
        if custom is not None:
            return custom(request, exc.status, exc.detail, [f"{e['field']}: {e['message']}" for e in exc.errors or []])
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        custom = renderer_for(request)
        if custom is not None:
            return custom(request, 400, "Event object is invalid", [f"{e['field']}: {e['message']}" for e in errors])
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
        return problem_response(Problem(400, detail, field=first["field"], errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, ("", "Error"))[1]
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route for {request.method} {request.url.path}"
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(Problem(exc.status_code, detail, headers=headers), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(500, "an unexpected error occurred; it has been logged")
        custom = renderer_for(request)
        if custom is not None:
            return custom(request, 500, problem.detail, [])
        return problem_response(problem, request)
