"""Demo data for a first look: an admin, three responders, two teams, a schedule, a policy, an alert source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.alerts.sources import create_source
from tocsin.auth import service as auth
from tocsin.auth.models import Role, TeamRole
from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.escalation.models import TargetKind
from tocsin.escalation.service import LevelSpec, PolicySpec, create_policy
from tocsin.escalation.targets import set_schedule_directory
from tocsin.schedules.definitions import ShiftUnit
from tocsin.schedules.oncall import Directory
from tocsin.schedules.service import LayerSpec, ScheduleSpec, create_schedule


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    password: str
    timezone: str


DEMO_USERS = (
    DemoUser("admin@example.com", "Ada Admin", Role.ADMIN, "demo-admin-pass", "Europe/Berlin"),
    DemoUser("alice@example.com", "Alice Responder", Role.USER, "demo-alice-pass", "Europe/Berlin"),
    DemoUser("bob@example.com", "Bob Responder", Role.RESPONDER, "demo-bob-pass", "America/Chicago"),
    DemoUser("carol@example.com", "Carol Responder", Role.RESPONDER, "demo-carol-pass", "Asia/Tokyo"),
)


def load_demo(db: Database, clock: Clock, base_url: str) -> list[str]:
    """Create the demo data once; returns the lines to print."""
    set_schedule_directory(Directory())  # the policy targets the demo schedule
    lines = ["Demo logins (email / password):"]
    lines += [f"  {u.email:<22} {u.password:<18} {u.role.value}" for u in DEMO_USERS]
    with db.session(write=True) as session:
        if auth.find_user_by_email(session, DEMO_USERS[0].email) is not None:
            return [*lines, "Demo data is already loaded; its integration key was printed the first time",
                    "(new one: log in and POST /api/alert-sources/{id}/rotate-key)."]
        users = {
            u.email: auth.create_user(session, clock, email=u.email, name=u.name, role=u.role,
                                      password=u.password, timezone=u.timezone)
            for u in DEMO_USERS
        }
        alice, bob, carol = (users[e].id for e in ("alice@example.com", "bob@example.com", "carol@example.com"))
        platform = auth.create_team(session, clock, "Platform", [(alice, TeamRole.ADMIN), (bob, TeamRole.MEMBER)])
        auth.create_team(session, clock, "Payments", [(carol, TeamRole.ADMIN), (bob, TeamRole.MEMBER)])
        admin = users[DEMO_USERS[0].email]
        berlin = ZoneInfo("Europe/Berlin")
        today = clock.now().astimezone(berlin).date()
        monday = datetime.combine(today - timedelta(days=today.weekday()), time(9), tzinfo=berlin)
        if monday > clock.now():
            monday -= timedelta(weeks=1)  # the latest Monday 09:00: Alice is on call from the start
        schedule = create_schedule(session, clock, admin, ScheduleSpec(
            name="Platform primary", timezone="Europe/Berlin", team_ids=[platform.id],
            layers=[LayerSpec("Weekly", monday, [alice, bob], ShiftUnit.WEEKS, 1)],
        ))
        policy = create_policy(session, clock, admin, PolicySpec(
            name="Platform on-call",
            levels=[LevelSpec(15, [(TargetKind.SCHEDULE, schedule.id)]),
                    LevelSpec(30, [(TargetKind.TEAM, platform.id)])],
            repeating=True, repeat_times=1, fallback_user_id=None, team_ids=[platform.id],
        ))
        source, key = create_source(
            session, clock, admin,
            {"name": "Demo API source", "team_ids": [platform.id], "escalation_policy_id": policy.id},
        )
    return [
        *lines,
        f"Alert source '{source.name}' (team Platform), integration key: {key}",
        "It pages whoever is on call in 'Platform primary' (Alice and Bob, weekly from Monday 09:00 Berlin),",
        "then after 15 minutes the whole Platform team (policy 'Platform on-call').",
        "Send it an event:",
        f"  curl -X POST {base_url}/api/events -H 'Content-Type: application/json' \\",
        f"    -d '{{\"integrationKey\": \"{key}\", \"eventType\": \"ALERT\", \"summary\": \"Disk full on db-1\"}}'",
    ]
