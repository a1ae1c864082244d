"""Production gunicorn configuration (container, `make up`, benchmarks).

Environment: GUNICORN_BIND (default 127.0.0.1:8000; the image sets 0.0.0.0:8000),
GUNICORN_WORKERS (default CPUs + 1, at most 8), GUNICORN_THREADS (default 4, threads
per worker of the buffering gthread worker, innovate_api/server.py),
GUNICORN_READ_TIMEOUT (default 15 s: a request not complete by then gets 408),
GUNICORN_KEEPALIVE (default 75 s: above the ALB's 60 s idle timeout, so the balancer
closes idle connections, not us), GUNICORN_GRACEFUL_TIMEOUT (default 30 s: in-flight
requests get this long after SIGTERM), GUNICORN_TIMEOUT (default 30 s),
PROMETHEUS_MULTIPROC_DIR (default a fresh temp dir).

The database pool is per worker and every thread holds at most one connection, so
DATABASE_POOL_MIN and DATABASE_POOL_MAX default to the thread count here (all warm, none
idle); a DATABASE_POOL_MAX below it is refused at start.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from typing import Any

# Must be set before prometheus_client is imported (it picks its value class then),
# and emptied before the app is preloaded: stale files would be summed into new metrics.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="innovate-metrics-")
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

wsgi_app = "innovate_api.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min((os.cpu_count() or 1) + 1, 8))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gthread that reads each request completely in its event loop before giving it a
# thread (slow clients cannot hold threads) and answers /healthz there: see
# innovate_api/server.py. Also with one thread (keep-alive, no sync worker).
worker_class = "innovate_api.server.BufferingThreadWorker"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# One pooled connection per thread: no thread waits for a connection, none sits idle.
os.environ.setdefault("DATABASE_POOL_MIN", str(threads))
os.environ.setdefault("DATABASE_POOL_MAX", str(threads))
if int(os.environ["DATABASE_POOL_MAX"]) < threads:
    raise SystemExit(
        f"invalid configuration: DATABASE_POOL_MAX ({os.environ['DATABASE_POOL_MAX']}) "
        f"is below GUNICORN_THREADS ({threads}): threads would wait for a connection"
    )
# Load the app once in the master: bad configuration fails at start, naming the
# variable, instead of in a crash-looping worker. The DB pool opens lazily per worker.
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# The app writes its own JSON access log (with request id); gunicorn's would duplicate it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# JSON error log; no gunicorn access log (the app writes one with the request id).
logger_class = "innovate_api.gunicorn_logging.JsonGunicornLogger"
# Trust X-Forwarded-* only from the local proxy hop (the ALB talks to the pod directly).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    from innovate_api.server import install_stop_marker

    install_stop_marker(server)  # workers shut the listener down only on a real stop


def pre_fork(server: Any, worker: Any) -> None:
    # Everything alive in the master now (the preloaded app and its modules) reaches the
    # worker copy-on-write. Frozen, it is never walked by the worker's cyclic GC; not
    # frozen, the worker's first full collection wrote to every inherited object: a
    # 60-280 ms pause of all its threads and ~15 MB unshared (docs/performance.md).
    from innovate_api.db import known_revisions, migration_head

    # The migration scripts are read here once (alembic and the scripts are ~40k
    # objects), not by every worker on its first /readyz.
    migration_head()
    known_revisions()
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    # Warm the pool so the first requests do not pay for TLS handshakes.
    from innovate_api import metrics
    from innovate_api.extensions import services_of

    services = services_of(worker.wsgi)
    if services is not None:
        services.db.pool  # noqa: B018 - property opens the pool
    metrics.start()  # pool gauges from the start, request metrics flushed each second


def worker_exit(server: Any, worker: Any) -> None:
    from innovate_api import metrics
    from innovate_api.extensions import services_of

    metrics.flush()  # the last second of requests, before the worker's files are final

    services = services_of(worker.wsgi)
    if services is not None:
        services.db.close()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def worker_int(worker: Any) -> None:
    worker.log.info("worker interrupted")
