"""Prometheus metrics, safe with several gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py does it) every worker writes
its samples to files there and ``/metrics`` aggregates them (multiprocess mode).

The request path only appends ``(method, route, status, seconds)`` to a per-process
buffer. A daemon thread per process writes the buffer into the histogram once a second,
one ``inc`` per touched bucket instead of two locked file writes (each with a
``getpid`` system call) per request, and refreshes the pool gauges. ``/metrics`` flushes
its own worker first and gunicorn's ``worker_exit`` hook flushes on a graceful stop, so
a scrape sees every request of its worker and the others' up to ``FLUSH_SECONDS`` late.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

FLUSH_SECONDS = 1.0
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# One histogram: its _count series is the request count by route and status.
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency (the _count series counts requests)",
    ["method", "route", "status"],
    buckets=BUCKETS,
)
POOL = Gauge(
    "db_pool_connections",
    "Database pool connections per state, summed over live workers",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "db_pool_requests_waiting",
    "Requests waiting for a pooled connection, summed over live workers",
    multiprocess_mode="livesum",
)

log = logging.getLogger(__name__)

PoolStats = Callable[[], dict[str, int]]


class _Recorder:
    """The per-process buffer, its flusher thread and the pool gauges' source."""

    def __init__(self) -> None:
        # Set when the app is built: in gunicorn's master (preload), so kept across fork.
        self.pool_stats: PoolStats | None = None
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # deque.append and popleft are atomic: request threads never take a lock here.
        self.pending: deque[tuple[str, str, int, float]] = deque()
        self.flush_lock = threading.Lock()
        self.children: dict[tuple[str, str, int], Any] = {}
        self.thread: threading.Thread | None = None  # threads do not survive a fork

    def start(self) -> None:
        with self.flush_lock:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="metrics-flusher", daemon=True
                )
                self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            try:
                self.flush()
                if self.pool_stats is not None:
                    update_pool(self.pool_stats)
            except Exception:  # never let the flusher die: the buffer would only grow
                log.exception("metrics flush failed")

    def flush(self) -> None:
        with self.flush_lock:
            pending = self.pending
            buckets: Counter[tuple[tuple[str, str, int], int]] = Counter()
            sums: dict[tuple[str, str, int], float] = {}
            while pending:
                method, route, status, seconds = pending.popleft()
                key = (method, route, status)
                # The bucket Histogram.observe picks: the first bound >= seconds (+Inf last).
                buckets[key, bisect_left(BUCKETS, seconds)] += 1
                sums[key] = sums.get(key, 0.0) + seconds
            for (key, index), count in buckets.items():
                self._child(key)._buckets[index].inc(count)
            for key, total in sums.items():
                self._child(key)._sum.inc(total)

    def _child(self, key: tuple[str, str, int]) -> Any:
        # Label sets are bounded (route templates, not paths): cache the children.
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = LATENCY.labels(key[0], key[1], str(key[2]))
        return child


_recorder = _Recorder()


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Record one request (hot path: one append; the flusher thread does the rest)."""
    _recorder.pending.append((method, route, status, seconds))
    if _recorder.thread is None:
        _recorder.start()


def start() -> None:
    """Start this process's flusher now (gunicorn's post_worker_init: an idle worker
    reports its pool too); otherwise the first request starts it."""
    _recorder.start()


def flush() -> None:
    """Write this process's buffered observations now (``/metrics``, worker exit, tests)."""
    _recorder.flush()


def watch_pool(get_stats: PoolStats) -> None:
    """The pool whose gauges the flusher refreshes each second in this process."""
    _recorder.pool_stats = get_stats


def update_pool(get_stats: PoolStats) -> None:
    stats = get_stats()
    if not stats:
        return
    size = stats.get("pool_size", 0)
    available = stats.get("pool_available", 0)
    POOL.labels("size").set(size)
    POOL.labels("idle").set(available)
    POOL.labels("in_use").set(max(size - available, 0))
    POOL.labels("max").set(stats.get("pool_max", 0))
    POOL_WAITING.set(stats.get("requests_waiting", 0))


def render() -> tuple[bytes, str]:
    flush()
    registry: Any = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
