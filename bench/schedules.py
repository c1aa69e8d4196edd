"""Schedule computation benchmark: 1,000 schedules x 3 layers x 10 users.

Pure core: one year of final shifts for a schedule (target < 50 ms each) and who is on call at one
moment in all 1,000 (target < 1 s). Then the same on-call question through the database: the
schedules stored in a fresh SQLite file (or `--database-url`), loaded and answered as
GET /api/on-call does. Times are CPU seconds of this process (time.process_time), so that other
load on the machine does not count. Prints them and writes JSON to bench/results/schedules-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import machine_info  # noqa: E402
from tocsin.auth import service as auth  # noqa: E402
from tocsin.auth.models import Role  # noqa: E402
from tocsin.clock import SystemClock  # noqa: E402
from tocsin.db import Database  # noqa: E402
from tocsin.migrations import upgrade  # noqa: E402
from tocsin.schedules import oncall, service  # noqa: E402
from tocsin.schedules.compose import final_shifts, on_call_answer, on_call_at  # noqa: E402
from tocsin.schedules.definitions import (  # noqa: E402
    Override,
    Restriction,
    RotationLayer,
    ScheduleDefinition,
    ShiftUnit,
    Window,
)
from tocsin.schedules.service import LayerSpec, ScheduleSpec  # noqa: E402
from tocsin.timezones import zone  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
ZONES = ("Europe/Berlin", "America/Chicago", "Asia/Tokyo", "UTC")
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
NIGHTS = {"weekdays": ["MON", "TUE", "WED", "THU", "FRI"], "start": "18:00", "end": "08:00"}
WEEKEND = {"weekdays": ["SAT", "SUN"], "start": "00:00", "end": "00:00"}


def layer_specs(index: int, users: list[int]) -> list[LayerSpec]:
    turn = users[index % len(users):] + users[:index % len(users)]
    return [
        LayerSpec("Daily", START, turn, ShiftUnit.DAYS, 1),
        LayerSpec("Weekly nights", START, turn[::-1], ShiftUnit.WEEKS, 1, restrictions=[NIGHTS]),
        LayerSpec("Weekend 12h", START, turn[3:] + turn[:3], ShiftUnit.HOURS, 12, restrictions=[WEEKEND]),
    ]


def pure_definition(index: int, users: list[int]) -> ScheduleDefinition:
    def restriction(doc: dict[str, Any]) -> Restriction:
        return service.restriction_of(doc)

    layers = tuple(
        RotationLayer(start=s.start, users=tuple(s.user_ids), unit=s.unit, length=s.length,
                      restrictions=tuple(restriction(r) for r in s.restrictions), key=f"layer:{n}")
        for n, s in enumerate(layer_specs(index, users))
    )
    overrides = tuple(Override(i, users[i % len(users)], START + timedelta(days=7 * i, hours=3),
                               START + timedelta(days=7 * i, hours=9)) for i in range(12))
    return ScheduleDefinition(zone(ZONES[index % len(ZONES)]), layers, overrides)


def bench_pure(count: int, at: datetime) -> dict[str, Any]:
    users = list(range(1, 11))
    definitions = [pure_definition(i, users) for i in range(count)]
    year = Window(START, START + timedelta(days=365))
    samples = []
    shifts = 0
    for definition in definitions[:50]:
        began = time.process_time()
        shifts = len(final_shifts(definition, year))
        samples.append(time.process_time() - began)
    began = time.process_time()
    answered = sum(1 for d in definitions if on_call_at(d, at) is not None)
    who_all = time.process_time() - began
    began = time.process_time()
    for d in definitions:
        on_call_answer(d, at)
    all_on_call = time.process_time() - began
    return {
        "whoAllSeconds": who_all,
        "yearOfOneScheduleMs": {"median": statistics.median(samples) * 1000, "max": max(samples) * 1000},
        "finalShiftsInAYear": shifts,
        "onCallAllSeconds": all_on_call,
        "schedulesWithSomeoneOnCall": answered,
    }


def seed(db: Database, count: int) -> None:
    clock = SystemClock()
    with db.session(write=True) as session:
        admin = auth.create_user(session, clock, email="bench@example.invalid", name="Bench", role=Role.ADMIN)
        users = [auth.create_user(session, clock, email=f"u{i}@example.invalid", name=f"User {i}").id
                 for i in range(10)]
        for i in range(count):
            spec = ScheduleSpec(name=f"Schedule {i}", timezone=ZONES[i % len(ZONES)],
                                layers=layer_specs(i, users))
            service.create_schedule(session, clock, admin, spec)


def bench_database(url: str, count: int, at: datetime) -> dict[str, Any]:
    upgrade(url)
    db = Database(url)
    seed(db, count)
    from sqlalchemy import select

    from tocsin.auth.models import User

    timings = []
    for _ in range(3):
        began = time.process_time()
        with db.session() as session:
            admin = session.scalar(select(User).where(User.email == "bench@example.invalid"))
            assert admin is not None
            schedules = service.list_schedules(session, admin)
            answers = oncall.answers(session, schedules, at)
        timings.append(time.process_time() - began)
    db.dispose()
    return {"onCallAllSeconds": min(timings), "runs": timings, "schedules": len(answers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    at = START + timedelta(days=180, hours=7)
    pure = bench_pure(args.schedules, at)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        stored = bench_database(url, args.schedules, at)
    result = {"schedules": args.schedules, "layers": 3, "users": 10, "pure": pure, "database": stored,
              "targets": {"yearOfOneScheduleMs": 50, "onCallAllSeconds": 1.0}, "machine": machine_info()}
    print(f"one year of one schedule: median {pure['yearOfOneScheduleMs']['median']:.1f} ms, "
          f"max {pure['yearOfOneScheduleMs']['max']:.1f} ms ({pure['finalShiftsInAYear']} final shifts; "
          "target < 50 ms)")
    print(f"who is on call in all {args.schedules} (pure): {pure['whoAllSeconds']:.3f} s (target < 1 s)")
    print(f"... with since, until and next (pure): {pure['onCallAllSeconds']:.3f} s")
    print(f"... the same loaded from the database, as /api/on-call: {stored['onCallAllSeconds']:.3f} s")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"schedules-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
