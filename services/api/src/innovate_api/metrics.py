"""Prometheus metrics, safe with several gunicorn workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py does it) every worker writes
its samples to files there and ``/metrics`` aggregates them (multiprocess mode).
"""

from __future__ import annotations

import os
import time
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

# One histogram: its _count series is the request count by route and status.
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency (the _count series counts requests)",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
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

_last_pool_update = 0.0


_children: dict[tuple[str, str, int], Any] = {}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    # Label sets are bounded (route templates, not paths); cache the children so the
    # hot path skips labels()'s lock and validation.
    key = (method, route, status)
    child = _children.get(key)
    if child is None:
        child = _children[key] = LATENCY.labels(method, route, str(status))
    child.observe(seconds)


def update_pool(get_stats: Callable[[], dict[str, int]], force: bool = False) -> None:
    """Pool gauges, refreshed at most once a second per process (cheap on hot paths)."""
    global _last_pool_update
    now = time.monotonic()
    if not force and now - _last_pool_update < 1.0:
        return
    _last_pool_update = now
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
    registry: Any = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
