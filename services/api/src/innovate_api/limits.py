"""In-process rate limits on the password endpoints (sign-in and registration).

Two token buckets per worker process: one per client address and one for everyone.
They answer 429 with ``Retry-After`` before any database or argon2 work. They are per
process (no shared state, no round trip): a pod admits up to ``workers`` times the
configured rates, and the database-backed throttle (``repositories.throttle``) and the
WAF's rate rule at the edge are the limits that hold across pods.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class AuthRateLimiter:
    """``per_client_per_minute`` per client address, ``global_per_second`` in all.

    Bursts up to the bucket sizes (a minute's worth per client, a second's worth
    globally). At most ``max_clients`` client buckets are kept (least recently used
    dropped first), so memory is bounded whatever addresses are seen.
    """

    def __init__(
        self, per_client_per_minute: int, global_per_second: float, max_clients: int = 10_000
    ) -> None:
        self.client_capacity = float(per_client_per_minute)
        self.client_rate = per_client_per_minute / 60.0
        self.global_capacity = max(1.0, float(global_per_second))
        self.global_rate = float(global_per_second)
        self.max_clients = max_clients
        self._clients: OrderedDict[str, _Bucket] = OrderedDict()
        self._global = _Bucket(self.global_capacity, time.monotonic())
        self._lock = threading.Lock()

    @staticmethod
    def _refill(bucket: _Bucket, capacity: float, rate: float, now: float) -> None:
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now

    def check(self, client: str) -> None:
        """Take one token from both buckets, or raise ``RateLimited`` taking none."""
        now = time.monotonic()
        with self._lock:
            mine = self._clients.get(client)
            if mine is None:
                mine = _Bucket(self.client_capacity, now)
                self._clients[client] = mine
                if len(self._clients) > self.max_clients:
                    self._clients.popitem(last=False)
            else:
                self._clients.move_to_end(client)
            self._refill(mine, self.client_capacity, self.client_rate, now)
            self._refill(self._global, self.global_capacity, self.global_rate, now)
            if mine.tokens < 1.0:
                raise RateLimited(math.ceil((1.0 - mine.tokens) / self.client_rate))
            if self._global.tokens < 1.0:
                raise RateLimited(math.ceil((1.0 - self._global.tokens) / self.global_rate))
            mine.tokens -= 1.0
            self._global.tokens -= 1.0
