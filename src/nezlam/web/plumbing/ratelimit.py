"""In-memory sliding-window rate limits for anonymous actions.

Clients are told apart by a keyed hash of their address, made with a random key that lives only
in this process's memory: nothing that could identify a visitor is written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, limit: int, per_seconds: float, max_clients: int = 100_000) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self.max_clients = max_clients
        self._key = secrets.token_bytes(32)
        self._hits: dict[bytes, deque[float]] = {}
        self._lock = threading.Lock()

    def client_key(self, *parts: str) -> bytes:
        return hmac.new(self._key, "|".join(parts).encode(), hashlib.sha256).digest()[:16]

    def allow(self, key: bytes, now: float | None = None) -> bool:
        """Count one hit for `key`; False when it is over the limit (the hit is not counted)."""
        return self.allow_all([(key, self.limit)], now)

    def allow_all(self, keys: list[tuple[bytes, int]], now: float | None = None) -> bool:
        """Count one hit for each (key, its limit) at once; False, counting none, when any is
        at its limit. One lock for all: parallel attempts cannot slip between the checks."""
        now = time.monotonic() if now is None else now
        with self._lock:
            queues = [(self._queue(key, now), limit) for key, limit in keys]
            if any(len(hits) >= limit for hits, limit in queues):
                return False
            for hits, _limit in queues:
                hits.append(now)
            return True

    def refund(self, keys: list[bytes], stamp: float) -> None:
        """Take back the hits counted at `stamp` (an attempt that turned out well)."""
        with self._lock:
            for key in keys:
                hits = self._hits.get(key)
                if hits and stamp in hits:
                    hits.remove(stamp)

    def forget(self, key: bytes) -> None:
        """Drop every hit counted for `key` (what it counted was taken back)."""
        with self._lock:
            self._hits.pop(key, None)

    def _queue(self, key: bytes, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_clients:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.per_seconds:
            hits.popleft()
        return hits

    def _evict(self, now: float) -> None:
        stale = [k for k, v in self._hits.items() if not v or v[-1] <= now - self.per_seconds]
        for k in stale:
            del self._hits[k]
        if len(self._hits) >= self.max_clients:  # still full: forget the oldest half
            for k in list(self._hits)[: self.max_clients // 2]:
                del self._hits[k]
