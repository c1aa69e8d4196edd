"""Dispatch benchmark: from an event's POST to its first message arriving at the channel's far end.

Starts `tocsin serve` (API + in-process worker) on a fresh database (temp SQLite, or
`--database-url`), pages one user through a one-level escalation policy whose notification rule is
"WEBHOOK after 0 minutes", and runs a webhook receiver in this process. For each of `--alerts`
events it measures the time from sending the event to the receiver getting the page. Prints
p50/p99/max and writes bench/results/dispatch-<db>-<timestamp>.json. Target: p99 < 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ROOT, free_port, local_server, machine_info, percentile

TARGET_P99_MS = 500.0


class Receiver:
    """A webhook endpoint that notes when each alert's first page arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                now = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                summary = ((body.get("alert") or {}).get("summary")) or ""
                with receiver.lock:
                    receiver.arrived.setdefault(summary, now)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def configure(url: str, api_key: str, receiver: Receiver) -> str:
    """Page the bench admin by webhook through a one-level policy; returns the new integration key."""
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30)
    steps = [{"channel": "WEBHOOK", "delayMin": 0}]
    api.put("/api/users/me/notification-rules", json={"HIGH": steps, "LOW": steps}).raise_for_status()
    api.post("/api/users/me/contact-methods", json={"channel": "WEBHOOK", "address": receiver.url}).raise_for_status()
    me = api.get("/api/users/me").json()["id"]
    policy = api.post("/api/escalation-policies", json={
        "name": "bench", "levels": [{"escalationTimeout": 60, "targets": [{"type": "USER", "id": me}]}]})
    policy.raise_for_status()
    source = api.post("/api/alert-sources", json={"name": "dispatch bench",
                                                   "escalationPolicy": {"id": policy.json()["id"]}})
    source.raise_for_status()
    return str(source.json()["integrationKey"])


def run(url: str, key: str, receiver: Receiver, count: int, concurrency: int, rate: float) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    sent: dict[str, float] = {}
    http = httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency))

    begin = time.perf_counter()

    def fire(i: int) -> None:
        if rate > 0:  # paced: event i leaves at i/rate seconds, so queueing shows only past capacity
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        summary = f"dispatch {tag} {i}"
        sent[summary] = time.perf_counter()
        answer = http.post(f"/api/events/{key}", json={"eventType": "ALERT", "summary": summary,
                                                        "alertKey": f"{tag}-{i}"})
        if answer.status_code != 202:
            raise RuntimeError(f"event {i}: {answer.status_code} {answer.text[:200]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(fire, range(count)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(receiver.arrived) < count:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    latencies = sorted((receiver.arrived[s] - t) * 1000 for s, t in sent.items() if s in receiver.arrived)
    return {
        "alerts": count,
        "concurrency": concurrency,
        "ratePerSecond": rate or None,
        "delivered": len(latencies),
        "lost": count - len(latencies),
        "seconds": round(elapsed, 2),
        "latencyMs": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                      "max": latencies[-1] if latencies else None},
        "targetP99Ms": TARGET_P99_MS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4, help="events in flight")
    parser.add_argument("--rate", type=float, default=10.0, help="events per second (0: as fast as possible)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ["TOCSIN_ALLOW_PRIVATE_WEBHOOKS"] = "true"  # the receiver listens on 127.0.0.1
    receiver = Receiver()
    tocsin = ROOT / ".venv" / "bin" / "tocsin"
    with local_server(tocsin, args.database_url) as target:
        key = configure(target.url, target.api_key, receiver)
        result = run(target.url, key, receiver, args.alerts, args.concurrency, args.rate)
        label = target.database
    result.update({"database": label, "machine": machine_info(), "at": datetime.now(UTC).isoformat()})
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
    out = ROOT / "bench" / "results" / f"dispatch-{label}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
