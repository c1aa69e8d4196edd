"""create_app(): routers, middleware, error handlers, and the optional in-process worker."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tocsin import __version__, openapi_bodies
from tocsin.alerts import api as alerts_api
from tocsin.alerts import events_api
from tocsin.alerts import jobs as alert_jobs
from tocsin.auth import api as auth_api
from tocsin.clock import Clock, SystemClock
from tocsin.coverage import api as coverage_api
from tocsin.coverage import notify as coverage_notify
from tocsin.coverage import pages as coverage_pages
from tocsin.db import Database
from tocsin.deps import AppState
from tocsin.engine.registry import JobRegistry
from tocsin.engine.worker import Worker
from tocsin.errors import install_error_handlers
from tocsin.escalation import api as escalation_api
from tocsin.escalation import engine as escalation_engine
from tocsin.escalation.targets import set_schedule_directory
from tocsin.heartbeats import api as heartbeats_api
from tocsin.heartbeats import service as heartbeats_service
from tocsin.integrations import api as integrations_api
from tocsin.integrations import opsgenie
from tocsin.limits import BodyLimitMiddleware
from tocsin.migrations import is_current
from tocsin.notifications import action_api, action_pages, dispatch, push_api, twilio_webhooks
from tocsin.notifications import api as notifications_api
from tocsin.notifications.channels.base import Sender
from tocsin.notifications.models import Channel
from tocsin.notifications.sender import NotificationSender
from tocsin.notifications.setup import build_senders
from tocsin.schedules import api as schedules_api
from tocsin.schedules import reminders as shift_reminders
from tocsin.schedules.oncall import Directory as ScheduleDirectory
from tocsin.settings import Settings
from tocsin.web.install import install as install_web_app

log = logging.getLogger(__name__)



def build_registry(settings: Settings, senders: Mapping[Channel, Sender] | None = None, *,
                   db: Database | None = None, clock: Clock | None = None) -> JobRegistry:
    registry = JobRegistry()
    alert_jobs.register(registry)
    escalation_engine.register(registry)
    heartbeats_service.register(registry)
    dispatch.register(registry)
    shift_reminders.register(registry)
    coverage_notify.register(registry)
    # Escalation asks schedules who is on call through this directory (API and worker processes alike).
    set_schedule_directory(ScheduleDirectory())
    channels = build_senders(settings, db=db, clock=clock) if senders is None else senders
    NotificationSender(channels, settings.base_url).register(registry)
    return registry


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    senders: Mapping[Channel, Sender] | None = None,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or Settings.from_env()
    db = db or Database(settings.database_url)
    clock = clock or SystemClock()
    state = AppState(settings=settings, db=db, clock=clock, registry=build_registry(settings, senders, db=db,
                                                                                    clock=clock))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if run_worker:
            with state.db.session(write=True) as session:
                escalation_engine.schedule_reconcile(session, state.clock)
            worker = Worker(state.db, state.clock, state.registry)
            thread = threading.Thread(
                target=worker.run_forever,
                args=(stop, state.jobs_waiting, settings.worker_poll_seconds),
                name="tocsin-worker",
                daemon=True,
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            state.jobs_waiting.set()
            if thread is not None:
                thread.join(timeout=10)

    app = FastAPI(
        title="tocsin",
        version=__version__,
        description="Incident management and on-call. Errors are RFC 9457 problem details.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.tocsin = state
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(auth_api.router)
    app.include_router(alerts_api.router)
    app.include_router(events_api.router)
    app.include_router(escalation_api.router)
    app.include_router(notifications_api.router)
    app.include_router(push_api.router)
    app.include_router(action_pages.router)
    app.include_router(action_api.router)
    app.include_router(twilio_webhooks.router)
    app.include_router(schedules_api.router)
    app.include_router(coverage_api.router)
    app.include_router(coverage_pages.router)
    app.include_router(heartbeats_api.router)
    app.include_router(integrations_api.router)
    app.include_router(opsgenie.router)
    openapi_bodies.install(app)
    install_web_app(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "Not ready"}})
    def readyz() -> JSONResponse:
        """The database answers and its schema is at the latest migration."""
        try:
            with state.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = is_current(state.db.engine)
        except Exception as exc:
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if not current:
            return JSONResponse({"status": "unavailable", "database": "migrations pending"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
