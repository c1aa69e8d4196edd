"""tocsin serve | api | worker | smtpd | migrate | demo | create-admin | create-api-key"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tocsin.settings import Settings

if TYPE_CHECKING:
    from tocsin.integrations.email_intake.server import IntakeController


def _serve(args: argparse.Namespace, settings: Settings, *, run_worker: bool) -> int:
    import uvicorn

    from tocsin.app import create_app

    app = create_app(settings, run_worker=run_worker)
    smtpd = None
    if run_worker and settings.smtpd_enabled:
        from tocsin.integrations.email_intake.server import email_server

        state = app.state.tocsin
        smtpd = email_server(settings, state.db, state.clock, wake=state.jobs_waiting)
        if not _start_smtpd(smtpd, settings):
            return 1
    try:
        uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_level="info")
    finally:
        if smtpd is not None:
            smtpd.stop()
    return 0


def _start_smtpd(smtpd: IntakeController, settings: Settings) -> bool:
    try:
        smtpd.start()
    except Exception as exc:
        print(f"error: cannot receive email on {settings.smtpd_host}:{settings.smtpd_port}: {exc} "
              "(set TOCSIN_SMTPD_PORT, or TOCSIN_SMTPD_ENABLED=false)", file=sys.stderr)
        return False
    logging.getLogger(__name__).info("receiving email for @%s on %s:%s", settings.email_domain,
                                     settings.smtpd_host, settings.smtpd_port)
    return True


def _smtpd(settings: Settings) -> int:
    from tocsin.clock import SystemClock
    from tocsin.db import Database
    from tocsin.integrations.email_intake.server import email_server

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    db = Database(settings.database_url)
    smtpd = email_server(settings, db, SystemClock())
    try:
        if not _start_smtpd(smtpd, settings):
            return 1
        stop.wait()
        smtpd.stop()
    finally:
        db.dispose()
    return 0


def _worker(settings: Settings) -> int:
    from tocsin.app import build_registry, schedule_periodic_jobs
    from tocsin.clock import SystemClock
    from tocsin.db import Database
    from tocsin.engine.worker import Worker

    stop, wake = threading.Event(), threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    db, clock = Database(settings.database_url), SystemClock()
    worker = Worker(db, clock, build_registry(settings, db=db, clock=clock))
    with worker.db.session(write=True) as session:
        schedule_periodic_jobs(session, worker.clock)
    worker.run_forever(stop, wake, settings.worker_poll_seconds)
    return 0


def _migrate(settings: Settings) -> int:
    from tocsin.migrations import upgrade

    upgrade(settings.database_url)
    print("database is at the latest migration", file=sys.stderr)
    return 0


def _demo(settings: Settings) -> int:
    from tocsin.clock import SystemClock
    from tocsin.db import Database
    from tocsin.demo import load_demo

    db = Database(settings.database_url)
    try:
        lines = load_demo(db, SystemClock(), settings.base_url)
    finally:
        db.dispose()
    for line in lines:
        print(line)
    return 0


def _create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from tocsin.auth import service
    from tocsin.auth.models import Role
    from tocsin.auth.schemas import UserCreate
    from tocsin.clock import SystemClock
    from tocsin.db import Database

    try:  # the same rules as POST /api/users
        body = UserCreate(email=args.email, name=args.name, role=Role.ADMIN, password=args.password)
    except ValidationError as exc:
        for error in exc.errors():
            print(f"error: --{error['loc'][0]}: {error['msg']}", file=sys.stderr)
        return 2
    assert body.password is not None
    db = Database(settings.database_url)
    try:
        with db.session(write=True) as session:
            user = service.find_user_by_email(session, body.email)
            if user is None:
                service.create_user(session, SystemClock(), email=body.email, name=body.name, role=Role.ADMIN,
                                    password=body.password)
                print(f"created admin {body.email}", file=sys.stderr)
            else:
                user.role = Role.ADMIN.value
                user.name = body.name.strip()
                service.set_password(user, body.password)
                print(f"{body.email} exists; made sure it is an admin with this name and password", file=sys.stderr)
    finally:
        db.dispose()
    return 0


def _create_api_key(args: argparse.Namespace, settings: Settings) -> int:
    from tocsin.auth import service
    from tocsin.clock import SystemClock
    from tocsin.db import Database

    db = Database(settings.database_url)
    try:
        with db.session(write=True) as session:
            user = service.find_user_by_email(session, args.email)
            if user is None:
                print(f"error: no user with email {args.email}", file=sys.stderr)
                return 1
            _key, token = service.create_api_key(session, SystemClock(), user, args.name)
    finally:
        db.dispose()
    print(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tocsin", description="Incident management and on-call.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("serve", "API and worker in one process"), ("api", "API only")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8080)
    commands.add_parser("worker", help="run the job worker only")
    commands.add_parser("smtpd", help="receive email for EMAIL alert sources only (serve does it too)")
    commands.add_parser("migrate", help="bring the database schema to the latest version")
    commands.add_parser("demo", help="load demo users, teams and an alert source (once)")
    admin = commands.add_parser("create-admin", help="create or update an admin user")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password", required=True)
    key = commands.add_parser("create-api-key", help="print a new API key for a user")
    key.add_argument("--email", required=True)
    key.add_argument("--name", default="CLI key")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; webhook and push URLs are secrets in themselves.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.from_env()
    if args.command in ("serve", "api"):
        return _serve(args, settings, run_worker=args.command == "serve")
    if args.command == "worker":
        return _worker(settings)
    if args.command == "smtpd":
        return _smtpd(settings)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command == "demo":
        return _demo(settings)
    if args.command == "create-admin":
        return _create_admin(args, settings)
    return _create_api_key(args, settings)


if __name__ == "__main__":
    sys.exit(main())
