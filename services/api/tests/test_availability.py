"""Availability: the circuit breaker in front of the database pool."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from psycopg.conninfo import conninfo_to_dict

from conftest import make_settings
from innovate_api.app import create_app
from innovate_api.extensions import services_of
from tcp_proxy import TcpProxy

PROBE_INTERVAL = 0.3


@pytest.fixture
def outage(dsn: str) -> Any:
    port = int(conninfo_to_dict(dsn)["port"])
    proxy = TcpProxy(port).start()
    assert f":{port}/" in dsn
    settings = make_settings(
        dsn.replace(f":{port}/", f":{proxy.port}/"),
        database_pool_min=1,
        database_pool_max=2,
        database_pool_timeout=2,
        database_probe_interval=PROBE_INTERVAL,
        database_probe_timeout=0.5,
    )
    app = create_app(settings)
    yield app, proxy
    services_of(app).db.close()
    proxy.cut()


def _counting_getconn(app: Any) -> list[int]:
    pool = services_of(app).db.pool
    calls = [0]
    real = pool.getconn

    def getconn(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    pool.getconn = getconn  # type: ignore[method-assign]
    return calls


def test_breaker_fails_fast_while_the_database_is_down_and_recovers(outage):
    app, proxy = outage
    client = app.test_client()
    token = services_of(app).tokens.issue(uuid.uuid4())
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/readyz").status_code == 200
    calls = _counting_getconn(app)

    proxy.cut()
    first = client.get("/api/v1/me", headers=auth)
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert services_of(app).db.breaker.is_open
    before = calls[0]
    # While open: every request is refused without touching the pool (no thread waits).
    for _ in range(20):
        r = client.get("/api/v1/me", headers=auth)
        assert r.status_code == 503
        assert r.mimetype == "application/problem+json"
        assert r.headers["Retry-After"] == "1"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"] == "1"
    assert calls[0] == before
    # Liveness never depends on the database.
    assert client.get("/healthz").status_code == 200

    # After the interval one request probes (the database is still down: open again).
    time.sleep(PROBE_INTERVAL + 0.1)
    assert client.get("/readyz").status_code == 503
    assert calls[0] == before + 1
    assert client.get("/readyz").status_code == 503
    assert calls[0] == before + 1

    proxy.restore()
    deadline = time.monotonic() + 15
    status = 503
    while status != 200 and time.monotonic() < deadline:
        time.sleep(PROBE_INTERVAL)
        status = client.get("/readyz").status_code
    assert status == 200
    assert not services_of(app).db.breaker.is_open
    assert client.get("/api/v1/me", headers=auth).status_code == 401  # no such user: DB answered
