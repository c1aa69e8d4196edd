"""Event ingest benchmark: send events over HTTP to tocsin, report durable events/s and latency.

Two modes:

* against a running server: ``--url URL --key INTEGRATION_KEY --api-key API_KEY``
  (the API key is needed to check afterwards that every acknowledged event is stored);
* self-hosted (no ``--url``): starts ``tocsin serve`` on a free port over a fresh database (a temp
  SQLite file, or ``--database-url postgresql://...``), migrates it, creates an admin, an API key
  and an alert source, runs the load and stops the server.

Scenarios (each ``--events`` events, ``--concurrency`` connections in flight):

* ``ilert-unique``: ilert format, ``POST /api/events/{key}``, a new alert key per event;
* ``pagerduty-unique``: PagerDuty Events API v2, ``POST /v2/enqueue``, a new dedup key per event;
* ``hot-key``: both formats alternating, every event on the same alert key (the dedup path).

Only 202 answers count as successes. After each scenario the alerts are counted through the API;
throughput is reported only when nothing acknowledged was lost (unique keys: one alert per event;
hot key: exactly one alert whose event count covers every acknowledged event).
Results are printed and written to ``bench/results/ingest-<db>-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
TARGET_EVENTS_PER_SECOND = 3000
ADMIN_EMAIL = "bench-admin@example.invalid"
JSON_HEADERS = {"Content-Type": "application/json"}
ERROR_SAMPLES = 5

# --- scenarios ------------------------------------------------------------------------------

Request = tuple[str, bytes]  # path, body
Builder = Callable[[str, str, int], Request]  # (integration key, run tag, index) -> request


def ilert_request(key: str, alert_key: str, summary: str) -> Request:
    body = {"eventType": "ALERT", "summary": summary, "alertKey": alert_key}
    return f"/api/events/{key}", json.dumps(body).encode()


def pagerduty_request(key: str, dedup_key: str, summary: str) -> Request:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": summary, "source": "bench", "severity": "critical"},
    }
    return "/v2/enqueue", json.dumps(body).encode()


def _ilert_unique(key: str, tag: str, i: int) -> Request:
    return ilert_request(key, f"{tag}-{i}", f"{tag} event {i}")


def _pagerduty_unique(key: str, tag: str, i: int) -> Request:
    return pagerduty_request(key, f"{tag}-{i}", f"{tag} event {i}")


def _hot_key(key: str, tag: str, i: int) -> Request:
    make = ilert_request if i % 2 == 0 else pagerduty_request
    return make(key, f"{tag}-hot", f"{tag} event {i}")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    hot_key: bool
    build: Builder


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("ilert-unique", "ilert POST /api/events/{key}, a new alert key per event", False, _ilert_unique),
        Scenario("pagerduty-unique", "PagerDuty POST /v2/enqueue, a new dedup key per event", False,
                 _pagerduty_unique),
        Scenario("hot-key", "ilert and PagerDuty alternating, all events on one alert key", True, _hot_key),
    )
}

# --- the load -------------------------------------------------------------------------------


@dataclass
class LoadResult:
    elapsed: float
    latencies: list[float]  # seconds, 202 answers only
    outcomes: Counter[str]  # HTTP status or exception name -> count
    error_samples: list[str]
    client_cpu_seconds: float

    @property
    def successes(self) -> int:
        return self.outcomes.get("202", 0)

    @property
    def sent(self) -> int:
        return sum(self.outcomes.values())


def build_requests(scenario: Scenario, key: str, tag: str, count: int) -> list[Request]:
    return [scenario.build(key, tag, i) for i in range(count)]


async def _send_all(client: httpx.AsyncClient, requests: Iterator[Request], result: LoadResult) -> None:
    for path, body in requests:  # the iterator is shared by every connection's coroutine
        start = time.perf_counter()
        try:
            response = await client.post(path, content=body, headers=JSON_HEADERS)
        except httpx.HTTPError as exc:
            waited = time.perf_counter() - start
            _record_error(result, type(exc).__name__, f"{type(exc).__name__} after {waited:.2f} s: {exc}")
            continue
        if response.status_code == 202:
            result.outcomes["202"] += 1
            result.latencies.append(time.perf_counter() - start)
        else:
            _record_error(result, str(response.status_code), f"{response.status_code}: {response.text[:300]}")


def _record_error(result: LoadResult, outcome: str, sample: str) -> None:
    result.outcomes[outcome] += 1
    if len(result.error_samples) < ERROR_SAMPLES:
        result.error_samples.append(sample)


async def _run_load(base_url: str, requests: list[Request], concurrency: int, timeout: float) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    result = LoadResult(0.0, [], Counter(), [], 0.0)
    shared = iter(requests)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:
        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(_send_all(client, shared, result) for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - start
        result.client_cpu_seconds = time.process_time() - cpu
    return result


def run_load(base_url: str, requests: list[Request], concurrency: int, timeout: float) -> LoadResult:
    return asyncio.run(_run_load(base_url, requests, concurrency, timeout))


# --- checking what was stored ---------------------------------------------------------------


@dataclass
class Verification:
    ok: bool
    alerts: int
    expected_alerts: str
    stored_events: int | None  # hot key: the alert's event count
    lost: int  # acknowledged events not found in the database
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "alerts": self.alerts, "expectedAlerts": self.expected_alerts,
                "storedEvents": self.stored_events, "lost": self.lost, "detail": self.detail}


def _count_alerts(api: httpx.Client, tag: str) -> int:
    response = api.get("/api/alerts/count", params={"text": tag})
    response.raise_for_status()
    return int(response.json()["count"])


def _hot_alert_events(api: httpx.Client, tag: str) -> int:
    response = api.get("/api/alerts", params={"text": tag, "limit": 5})
    response.raise_for_status()
    return sum(int(a["eventCount"]) for a in response.json()["items"])


def verify(api: httpx.Client, scenario: Scenario, tag: str, load: LoadResult) -> Verification:
    alerts = _count_alerts(api, tag)
    if scenario.hot_key:
        return _verify_hot(alerts, _hot_alert_events(api, tag), load)
    # An event that errored (e.g. a client timeout) may still have been committed: count may exceed successes.
    lost = max(0, load.successes - alerts)
    ok = lost == 0 and alerts <= load.sent
    detail = f"{alerts} alerts for {load.successes} acknowledged of {load.sent} sent"
    return Verification(ok, alerts, f"{load.successes}..{load.sent}", None, lost, detail)


def _verify_hot(alerts: int, stored: int, load: LoadResult) -> Verification:
    expected = 1 if load.successes else 0
    lost = max(0, load.successes - stored)
    ok = alerts == expected and lost == 0 and stored <= load.sent
    detail = f"{alerts} alert(s) holding {stored} events for {load.successes} acknowledged of {load.sent} sent"
    return Verification(ok, alerts, str(expected), stored, lost, detail)


# --- figures --------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def figures(load: LoadResult, check: Verification, cpu: CpuUse) -> dict[str, Any]:
    lat = sorted(load.latencies)
    rate = load.successes / load.elapsed if load.elapsed and check.ok else None
    return {
        "sent": load.sent,
        "accepted202": load.successes,
        "errors": {k: v for k, v in sorted(load.outcomes.items()) if k != "202"},
        "errorSamples": load.error_samples,
        "elapsedSeconds": round(load.elapsed, 3),
        "eventsPerSecond": round(rate, 1) if rate is not None else None,
        "latencyMs": {
            "p50": _ms(percentile(lat, 0.50)),
            "p90": _ms(percentile(lat, 0.90)),
            "p99": _ms(percentile(lat, 0.99)),
            "max": _ms(lat[-1] if lat else None),
            "mean": _ms(sum(lat) / len(lat) if lat else None),
        },
        "cpu": cpu.as_json(load),
        "verification": check.as_json(),
    }


# --- CPU accounting -------------------------------------------------------------------------


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a local process and its threads, from /proc."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float | None:
    """CPU time all cores spent on anything but idle and I/O wait since boot, from /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _delta(before: float | None, after: float | None) -> float | None:
    return after - before if before is not None and after is not None else None


@dataclass
class CpuUse:
    """CPU used during one scenario by the server process, this client and the whole machine."""

    server_seconds: float | None
    client_seconds: float
    machine_seconds: float | None
    load_average_before: float

    def as_json(self, load: LoadResult) -> dict[str, Any]:
        def cores(seconds: float | None) -> float | None:
            return round(seconds / load.elapsed, 2) if seconds is not None and load.elapsed else None

        other = None
        if self.machine_seconds is not None and self.server_seconds is not None:
            other = self.machine_seconds - self.server_seconds - self.client_seconds
        per_event = self.server_seconds * 1000 / load.sent if self.server_seconds is not None else None
        return {
            "serverCores": cores(self.server_seconds),
            "clientCores": cores(self.client_seconds),
            "machineBusyCores": cores(self.machine_seconds),
            "otherCores": cores(other),  # the database server, the kernel and anything else running
            "serverCpuMsPerEvent": round(per_event, 3) if per_event is not None else None,
            "loadAverage1mBefore": round(self.load_average_before, 2),
        }


def measured_load(server_pid: int | None, send: Callable[[], LoadResult]) -> tuple[LoadResult, CpuUse]:
    load_average = os.getloadavg()[0]
    server, machine = process_cpu_seconds(server_pid), machine_busy_seconds()
    load = send()
    server_used = _delta(server, process_cpu_seconds(server_pid))
    machine_used = _delta(machine, machine_busy_seconds())
    return load, CpuUse(server_used, load.client_cpu_seconds, machine_used, load_average)


# --- the server under test ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    url: str
    integration_key: str
    api_key: str
    database: str  # label used in the result file name
    server_pid: int | None = None
    database_url: str | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(tocsin: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(tocsin), *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"tocsin {args[0]} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def _wait_ready(url: str, server: subprocess.Popen[bytes], deadline_seconds: float = 60) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {url} was not ready within {deadline_seconds:.0f} s")


def create_alert_source(url: str, api_key: str, name: str) -> str:
    headers = {"Authorization": f"Bearer {api_key}"}
    response = httpx.post(f"{url}/api/alert-sources", json={"name": name}, headers=headers, timeout=30)
    response.raise_for_status()
    key: str = response.json()["integrationKey"]
    return key


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _print_log_tail(log_path: Path, lines: int = 40) -> None:
    if log_path.exists():
        tail = log_path.read_text(errors="replace").splitlines()[-lines:]
        print("--- server log (tail) ---\n" + "\n".join(tail), file=sys.stderr)


@contextmanager
def local_server(tocsin: Path, database_url: str | None) -> Iterator[Target]:
    """Migrate a fresh database, create an admin, API key and alert source, serve; stop on exit."""
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as tmp:
        db_url = database_url or f"sqlite:///{tmp}/tocsin.db"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TOCSIN_DATABASE_URL": db_url, "TOCSIN_BASE_URL": url}
        _cli(tocsin, env, "migrate")
        _cli(tocsin, env, "create-admin", "--email", ADMIN_EMAIL, "--name", "Bench", "--password",
             secrets.token_urlsafe(16))
        api_key = _cli(tocsin, env, "create-api-key", "--email", ADMIN_EMAIL, "--name", "bench").strip()
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            command = [str(tocsin), "serve", "--host", "127.0.0.1", "--port", str(port)]
            server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
            try:
                _wait_ready(url, server)
                key = create_alert_source(url, api_key, f"bench {uuid.uuid4().hex[:8]}")
                label = db_url.split(":", 1)[0].split("+", 1)[0]
                yield Target(url, key, api_key, label, server.pid, db_url)
            except BaseException:
                _print_log_tail(log_path)
                raise
            finally:
                _stop_server(server)


# --- machine and run description ------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _git(*args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run([git, *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip() if done.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpuModel": _cpu_model(),
        "cpuCount": os.cpu_count(),
        "memoryMb": _memory_mb(),
        "python": platform.python_version(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "worktreeDirty": bool(_git("status", "--porcelain")),
    }


def _redact(url: str | None) -> str | None:
    if url is None:
        return None
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def database_version(url: str | None) -> str | None:
    if url is None:
        return None
    if url.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0]}" if row else None
    except Exception as exc:  # only descriptive; never fail the run for it
        return f"unknown ({type(exc).__name__})"


# --- running and reporting ------------------------------------------------------------------


def run_scenario(target: Target, api: httpx.Client, scenario: Scenario, args: argparse.Namespace,
                 run_id: str) -> dict[str, Any]:
    tag = f"bench-{run_id}-{scenario.name}"
    requests = build_requests(scenario, target.integration_key, tag, args.events)
    load, cpu = measured_load(target.server_pid,
                              lambda: run_load(target.url, requests, args.concurrency, args.timeout))
    check = verify(api, scenario, tag, load)
    return {"scenario": scenario.name, "description": scenario.description, "tag": tag,
            **figures(load, check, cpu)}


def warm_up(target: Target, count: int, concurrency: int, timeout: float, run_id: str) -> None:
    if count <= 0:
        return
    requests = build_requests(SCENARIOS["ilert-unique"], target.integration_key, f"bench-{run_id}-warmup", count)
    load = run_load(target.url, requests, concurrency, timeout)
    if load.successes != count:
        print(f"warm-up: {load.sent - load.successes} of {count} events failed: {load.error_samples}",
              file=sys.stderr)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_row(database: str, row: dict[str, Any]) -> None:
    lat, cpu = row["latencyMs"], row["cpu"]
    errors = sum(row["errors"].values())
    verdict = "ok" if row["verification"]["ok"] else "LOST/WRONG: " + row["verification"]["detail"]
    print(f"{database:<11} {row['scenario']:<17} {_fmt(row['eventsPerSecond'], '>8.1f')} ev/s  "
          f"p50 {_fmt(lat['p50'], '>7.1f')} ms  p99 {_fmt(lat['p99'], '>7.1f')} ms  errors {errors:<4} "
          f"cores: server {_fmt(cpu['serverCores'], '.2f')} client {_fmt(cpu['clientCores'], '.2f')} "
          f"machine {_fmt(cpu['machineBusyCores'], '.2f')}  "
          f"server {_fmt(cpu['serverCpuMsPerEvent'], '.2f')} ms CPU/event  {verdict}", flush=True)


def run_all(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    started = datetime.now(UTC)
    warm_up(target, args.warmup, args.concurrency, args.timeout, run_id)
    rows = []
    headers = {"Authorization": f"Bearer {target.api_key}"}
    with httpx.Client(base_url=target.url, headers=headers, timeout=60) as api:
        for name in args.scenarios:
            rows.append(run_scenario(target, api, SCENARIOS[name], args, run_id))
            print_row(target.database, rows[-1])
    return {
        "benchmark": "ingest",
        "runId": run_id,
        "startedAt": started.isoformat(timespec="seconds"),
        "targetEventsPerSecond": TARGET_EVENTS_PER_SECOND,
        "machine": machine_info(),
        "server": {
            "mode": "remote" if args.url else "local",
            "url": args.url or "local tocsin serve (API + worker, one process)",
            "database": target.database,
            "databaseUrl": _redact(target.database_url),
            "databaseVersion": database_version(target.database_url),
        },
        "parameters": {"events": args.events, "concurrency": args.concurrency, "warmup": args.warmup,
                       "timeoutSeconds": args.timeout, "scenarios": args.scenarios},
        "scenarios": rows,
    }


def write_results(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"ingest-{report['server']['database']}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def _scenario_list(raw: str) -> list[str]:
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SCENARIOS)}")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    remote = parser.add_argument_group("against a running server")
    remote.add_argument("--url", help="base URL of a running tocsin, e.g. http://127.0.0.1:8080")
    remote.add_argument("--key", help="integration key of an alert source on that server")
    remote.add_argument("--api-key", help="API key (Bearer) used to verify the stored alerts")
    remote.add_argument("--label", default="remote", help="database label for the result file name")
    remote.add_argument("--server-pid", type=int, help="pid of that server when it runs here (CPU accounting)")
    local = parser.add_argument_group("self-hosted server (no --url)")
    local.add_argument("--database-url", help="an empty PostgreSQL database (default: a temp SQLite file)")
    local.add_argument("--tocsin", type=Path, default=ROOT / ".venv" / "bin" / "tocsin", help="tocsin executable")
    parser.add_argument("--events", type=int, default=5000, help="events per scenario (default 5000)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured events sent first (default 200)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    parser.add_argument("--scenarios", type=_scenario_list, default=list(SCENARIOS),
                        help=f"comma list (default: {','.join(SCENARIOS)})")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.url and not (args.key and args.api_key):
        parser.error("--url needs --key (integration key) and --api-key (to verify what was stored)")
    if args.events < 1 or args.concurrency < 1:
        parser.error("--events and --concurrency must be at least 1")
    return args


@contextmanager
def target_for(args: argparse.Namespace) -> Iterator[Target]:
    if args.url:
        yield Target(args.url.rstrip("/"), args.key, args.api_key, args.label, args.server_pid)
        return
    with local_server(args.tocsin, args.database_url) as target:
        yield target


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with target_for(args) as target:
        print(f"ingest bench: {args.events} events x {len(args.scenarios)} scenarios, "
              f"concurrency {args.concurrency}, {target.database} at {target.url}", flush=True)
        report = run_all(target, args)
    path = write_results(report, args.results_dir)
    print(f"results: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0 if all(row["verification"]["ok"] for row in report["scenarios"]) else 1


if __name__ == "__main__":
    sys.exit(main())
