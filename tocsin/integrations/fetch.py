"""The server's fetcher for adapters that must reach their vendor (AWS SNS): https GETs with a timeout."""

from __future__ import annotations

import ssl
import threading
from collections import OrderedDict

import httpx

from tocsin.integrations.base import FetchError

MAX_RESPONSE_BYTES = 64 * 1024
MAX_CACHED = 64


class HttpsFetcher:
    """GETs https URLs: no redirects, a timeout, a size cap; ``cache=True`` answers keep per URL.

    Callers decide which hosts they may reach (the SNS adapter allows only ``sns.<region>.amazonaws.com``).
    """

    def __init__(self, *, timeout_seconds: float = 5.0, verify: ssl.SSLContext | bool = True) -> None:
        self._timeout = timeout_seconds
        self._verify = verify
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str, *, cache: bool = False) -> bytes:
        if not url.startswith("https://"):
            raise FetchError("only https URLs are fetched")
        if cache:
            with self._lock:
                if url in self._cache:
                    self._cache.move_to_end(url)
                    return self._cache[url]
        body = self._fetch(url)
        if cache:
            with self._lock:
                self._cache[url] = body
                while len(self._cache) > MAX_CACHED:
                    self._cache.popitem(last=False)
        return body

    def _fetch(self, url: str) -> bytes:
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False, verify=self._verify) as client, \
                    client.stream("GET", url) as response:
                if not 200 <= response.status_code < 300:
                    raise FetchError(f"GET answered {response.status_code}")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise FetchError(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise FetchError(f"GET failed: {type(exc).__name__}") from None
