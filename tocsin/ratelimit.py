"""In-process token buckets for request rate limits.

Limits are per process: with several API processes each enforces its own share. They protect
against brute force and floods; they hold no state that matters after a restart.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from tocsin.errors import Problem

MAX_TRACKED_KEYS = 100_000


class RateLimiter:
    def __init__(self, rate_per_second: float, burst: int, *, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self._now = now
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.burst > 0

    def take(self, key: str) -> float:
        """Take one token; returns 0 when allowed, else the seconds until a token is free."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._now()
            tokens, stamp = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_TRACKED_KEYS:
                self._buckets.popitem(last=False)
            return wait

    def check(self, key: str, what: str) -> None:
        wait = self.take(key)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise Problem(429, f"too many {what}; retry in {retry} s", headers={"Retry-After": str(retry)})
