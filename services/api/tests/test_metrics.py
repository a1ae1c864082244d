"""The request histogram's buffer: what the flusher writes equals Histogram.observe's."""

from __future__ import annotations

import os
import threading
import time

from prometheus_client import CollectorRegistry, Histogram

from innovate_api import metrics

# Below, between and above the bounds, exactly on bounds, and past the last one (+Inf).
SAMPLES = [0.0, 0.0004, 0.001, 0.0011, 0.003, 0.05, 0.0501, 0.7, 5.0, 5.01, 42.0]


def _series(histogram: Histogram, labels: dict[str, str]) -> dict[tuple[str, str], float]:
    return {
        (s.name.rsplit("_", 1)[-1], s.labels.get("le", "")): s.value
        for metric in histogram.collect()
        for s in metric.samples
        if all(s.labels.get(k) == v for k, v in labels.items()) and not s.name.endswith("_created")
    }


def test_flushed_buckets_and_sum_equal_histogram_observe():
    reference = Histogram(
        "reference_seconds",
        "same buckets",
        ["method", "route", "status"],
        buckets=metrics.BUCKETS,
        registry=CollectorRegistry(),
    )
    labels = {"method": "GET", "route": "/test/flush-equivalence", "status": "200"}
    for seconds in SAMPLES:
        reference.labels(*labels.values()).observe(seconds)
        metrics.observe("GET", "/test/flush-equivalence", 200, seconds)
    assert _series(metrics.LATENCY, labels) == {}  # nothing written on the request path
    metrics.flush()
    assert _series(metrics.LATENCY, labels) == _series(reference, labels)
    metrics.flush()  # an empty buffer writes nothing more
    assert _series(metrics.LATENCY, labels)[("count", "")] == len(SAMPLES)


def test_concurrent_observers_lose_nothing():
    route = "/test/concurrent"

    def worker() -> None:
        for _ in range(2000):
            metrics.observe("GET", route, 200, 0.002)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(20):  # flushes racing the appends
        metrics.flush()
    for thread in threads:
        thread.join()
    metrics.flush()
    series = _series(metrics.LATENCY, {"route": route})
    assert series[("count", "")] == 16000
    assert series[("bucket", "0.0025")] == 16000
    assert series[("bucket", "0.001")] == 0


def test_the_flusher_thread_writes_without_an_explicit_flush():
    route = "/test/background"
    metrics.observe("GET", route, 503, 0.01)
    thread = metrics._recorder.thread
    assert thread is not None
    assert thread.is_alive()
    deadline = time.monotonic() + 5 * metrics.FLUSH_SECONDS
    while _series(metrics.LATENCY, {"route": route}).get(("count", "")) != 1:
        assert time.monotonic() < deadline, "the flusher did not write within 5 intervals"
        time.sleep(0.05)


def test_a_forked_worker_starts_with_an_empty_buffer_and_its_own_flusher():
    metrics.observe("GET", "/test/fork", 200, 0.01)  # unflushed in the parent
    saved = metrics._recorder.pool_stats
    parent_pool = metrics._recorder.pool_stats = lambda: {"pool_size": 4}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what a gunicorn worker sees after the fork
        ok = len(metrics._recorder.pending) == 0 and metrics._recorder.thread is None
        ok = ok and metrics._recorder.pool_stats is parent_pool  # the app was built pre-fork
        metrics.observe("GET", "/test/fork", 200, 0.01)
        thread = metrics._recorder.thread
        ok = ok and thread is not None and thread.is_alive()
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    metrics._recorder.pool_stats = saved
    assert answer == b"1"
    metrics.flush()
