"""Demo data for a first look: an admin, three responders, two teams, an alert source."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.alerts.sources import create_source
from tocsin.auth import service as auth
from tocsin.auth.models import Role, TeamRole
from tocsin.clock import Clock
from tocsin.db import Database
from tocsin.escalation.models import TargetKind
from tocsin.escalation.service import LevelSpec, PolicySpec, create_policy


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
        policy = create_policy(session, clock, admin, PolicySpec(
            name="Platform on-call",
            levels=[LevelSpec(15, [(TargetKind.USER, alice)]), LevelSpec(30, [(TargetKind.TEAM, platform.id)])],
            repeating=True, repeat_times=1, fallback_user_id=None, team_ids=[platform.id],
        ))
        source, key = create_source(
            session, clock, admin,
            {"name": "Demo API source", "team_ids": [platform.id], "escalation_policy_id": policy.id},
        )
    return [
        *lines,
        f"Alert source '{source.name}' (team Platform), integration key: {key}",
        "It pages Alice, then after 15 minutes the whole Platform team (policy 'Platform on-call').",
        "Send it an event:",
        f"  curl -X POST {base_url}/api/events -H 'Content-Type: application/json' \\",
        f"    -d '{{\"integrationKey\": \"{key}\", \"eventType\": \"ALERT\", \"summary\": \"Disk full on db-1\"}}'",
    ]
