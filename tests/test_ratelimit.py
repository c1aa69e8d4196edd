"""Token buckets, with an injected monotonic time."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.alerts.helpers import problem, send
from tests.conftest import Source
from tocsin.errors import Problem
from tocsin.ratelimit import RateLimiter


class Ticker:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_burst_then_steady_rate() -> None:
    ticker = Ticker()
    limiter = RateLimiter(2.0, 3, now=ticker)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)
    assert limiter.take("b") == 0.0  # buckets are per key
    ticker.t += 0.5
    assert limiter.take("a") == 0.0
    with pytest.raises(Problem) as caught:
        limiter.check("a", "requests")
    assert caught.value.status == 429 and caught.value.headers == {"Retry-After": "1"}


def test_disabled_limiter_always_allows() -> None:
    limiter = RateLimiter(0, 10)
    assert all(limiter.take("k") == 0.0 for _ in range(1000))


def test_event_rate_per_integration_key(client: TestClient, source: Source) -> None:
    client.app.state.tocsin.event_limiter = RateLimiter(1.0, 2)  # type: ignore[attr-defined]
    assert send(client, source.key).status_code == 202
    assert send(client, source.key).status_code == 202
    limited = problem(send(client, source.key), 429)
    assert "integration key" in limited["detail"]
