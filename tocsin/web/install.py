"""Adds the web app to the FastAPI app: pages, the PWA files, and the static assets."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from tocsin.web import pwa
from tocsin.web.pages import admin, alerts, policies, profile, session, sources
from tocsin.web.render import STATIC


class VersionedStatic(StaticFiles):
    """Assets are linked with ?v=<digest>: a URL never changes meaning, so browsers may keep it a year."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    for module in (session, alerts, policies, sources, profile, admin):
        app.include_router(module.router)
    app.include_router(pwa.router)
    app.mount("/static", VersionedStatic(directory=STATIC), name="static")
