"""Real gunicorn processes with the production config: graceful shutdown, metrics across
workers, and the Docker image's ENTRYPOINT/HEALTHCHECK run directly (no Docker engine)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from devstack import free_port

from conftest import APP_PASSWORD, JWT_SECRET
from innovate_api import metrics

API_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _env(dsn: str, port: int, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "PROMETHEUS_"))}
    env.update(
        DATABASE_URL=dsn,
        JWT_SECRET=JWT_SECRET,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        PASSWORD_HASH_MEMORY_KIB="8192",
        PASSWORD_HASH_TIME_COST="1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(Path(__file__).parent),
    )
    env.update(extra)
    return env


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited early: {proc.stdout.read().decode()[-2000:]}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not come up")


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - fixed argv
        cmd, env=env, cwd=API_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_sigterm_lets_in_flight_requests_finish(dsn, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    marker = tmp_path / "slow-started"
    env = _env(
        dsn,
        port,
        tmp_path,
        GUNICORN_WORKERS="1",
        GUNICORN_GRACEFUL_TIMEOUT="15",
        SLOW_MARKER=str(marker),
    )
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "slow_app:app"], env)
    try:
        _wait_up(url, proc)
        result: dict[str, object] = {}

        def slow() -> None:
            r = requests.get(url + "/test/slow?seconds=3", timeout=30)
            result["status"], result["body"] = r.status_code, r.json()

        thread = threading.Thread(target=slow)
        thread.start()
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the slow request never reached the worker"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(requests.RequestException):
            requests.get(url + "/healthz", timeout=1)  # no new requests are served
        thread.join(timeout=30)
        assert result == {"status": 200, "body": {"status": "slow request finished"}}
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - sent < 15  # exited once the work was done, not at the deadline
    finally:
        _stop(proc)


def test_metrics_aggregate_across_workers(dsn, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(dsn, port, tmp_path, GUNICORN_WORKERS="3")
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    try:
        _wait_up(url, proc)

        def burst() -> None:
            for _ in range(10):
                r = requests.get(
                    url + "/api/v1/version", timeout=5, headers={"Connection": "close"}
                )
                assert r.status_code == 200

        # Concurrent clients, so several workers serve requests.
        threads = [threading.Thread(target=burst) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Each worker writes its buffer once a second (innovate_api/metrics.py): the
        # total reaches every request within that, and never counts one twice.
        deadline = time.monotonic() + 10 * metrics.FLUSH_SECONDS
        while True:
            text = requests.get(url + "/metrics", timeout=5).text
            total = sum(
                float(m.group(1))
                for m in re.finditer(
                    r"^http_request_duration_seconds_count"
                    r'\{method="GET",route="/api/v1/version",status="200"\} (\S+)$',
                    text,
                    re.M,
                )
            )
            assert total <= 60
            if total == 60 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert total == 60

        # The pool gauges are summed over the live workers (3 workers x 4 connections).
        def pool_size() -> float:
            text = requests.get(url + "/metrics", timeout=5).text
            found = re.search(r'^db_pool_connections\{state="size"\} (\S+)$', text, re.M)
            return float(found.group(1)) if found else 0.0

        while pool_size() != 12 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pool_size() == 12
        files = {p.name.rsplit("_", 1)[-1] for p in (tmp_path / "metrics").glob("histogram_*.db")}
        assert len(files) >= 2  # several workers wrote samples, and /metrics summed them
    finally:
        _stop(proc)


def _dockerfile() -> dict[str, object]:
    """ENV, COPY, ENTRYPOINT and HEALTHCHECK of the final stage."""
    text = (API_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    final = text.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    copies: dict[str, str] = {}
    entrypoint: list[str] = []
    health: list[str] = []
    args: dict[str, str] = {}
    for line in final.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "ARG":
            key, _, value = rest.partition("=")
            args[key] = value
        elif word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), value)
        elif word == "COPY" and not rest.startswith("--from"):
            *sources, dest = rest.split()
            for src in sources:
                copies[dest.rstrip("/") + "/" + Path(src).name] = src
        elif word == "ENTRYPOINT":
            entrypoint = json.loads(rest)
        elif word == "HEALTHCHECK":
            health = json.loads(rest[rest.index("CMD") + 3 :].strip())
    return {"env": env, "copies": copies, "entrypoint": entrypoint, "health": health}


def test_workers_start_with_the_preloaded_heap_frozen_and_the_migrations_read(dsn, tmp_path):
    # Without the freeze, a worker's first full collection walks (and so writes to, and
    # unshares) every object inherited from the master, holding all its threads for
    # 60-280 ms on this machine; without the warm-up, each worker reads the migration
    # scripts (~40k objects) on its first /readyz.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(dsn, port, tmp_path, GUNICORN_WORKERS="2", SLOW_MARKER=str(tmp_path / "m"))
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "slow_app:app"], env)
    try:
        _wait_up(url, proc)
        seen: dict[int, dict[str, int]] = {}
        deadline = time.monotonic() + 20
        while len(seen) < 2 and time.monotonic() < deadline:
            r = requests.get(url + "/test/gc", timeout=5, headers={"Connection": "close"})
            assert r.status_code == 200
            seen.setdefault(r.json()["pid"], r.json())  # its first answer
        assert len(seen) == 2, "both workers should have answered"
        for state in seen.values():
            assert state["frozen"] > 20_000, state  # the app, its libraries, alembic
            assert state["revision_reads"] == 0, state
            assert state["tracked"] < state["frozen"] // 10, state  # what the GC still walks
    finally:
        _stop(proc)


def test_image_entrypoint_and_healthcheck_work(dsn, tmp_path):
    image = _dockerfile()
    assert image["entrypoint"][0] == "gunicorn"
    # Paths inside the image map back to the files the Dockerfile copies there.
    cmd = [image["copies"].get(arg, arg) for arg in image["entrypoint"]]
    cmd[0] = str(BIN / "gunicorn")
    port = free_port()
    env = _env(dsn, port, tmp_path) | {
        k: v for k, v in image["env"].items() if k not in ("PATH", "PROMETHEUS_MULTIPROC_DIR")
    }
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"  # the image binds 0.0.0.0; tests stay on loopback
    proc = _start(cmd, env)
    try:
        _wait_up(f"http://127.0.0.1:{port}", proc)
        health = [sys.executable, *image["health"][1:]]
        ok = subprocess.run(health, env=env, check=False, timeout=10)  # noqa: S603
        assert ok.returncode == 0
        r = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert r.status_code == 200
        version = requests.get(f"http://127.0.0.1:{port}/api/v1/version", timeout=5).json()
        assert version["git_sha"] == "unknown"  # the image's ARG default
    finally:
        _stop(proc)
    # With the API gone the same healthcheck fails, so it is a real check.
    down = subprocess.run(  # noqa: S603 - argv from our own Dockerfile
        health, env=env, check=False, timeout=10, capture_output=True
    )
    assert down.returncode != 0


def test_bad_configuration_fails_at_start_naming_the_variable(tmp_path):
    port = free_port()
    env = _env("postgresql://u:p@127.0.0.1:1/db", port, tmp_path)
    del env["JWT_SECRET"]
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        _stop(proc)
    assert proc.returncode != 0
    assert b"JWT_SECRET" in out
    assert APP_PASSWORD.encode() not in out


def _conf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict[str, object]:
    import runpy

    fake = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), **env}
    monkeypatch.setattr(os, "environ", fake)
    conf = runpy.run_path(str(API_DIR / "gunicorn.conf.py"))
    conf["_env"] = fake
    return conf


def test_default_config_is_the_buffering_worker_with_keepalive_and_a_pool_per_thread(
    monkeypatch, tmp_path
):
    conf = _conf(monkeypatch, tmp_path)
    threads = conf["threads"]
    assert isinstance(threads, int)
    assert threads > 1
    assert conf["worker_class"] == "innovate_api.server.BufferingThreadWorker"
    assert conf["keepalive"] == 75
    env = conf["_env"]
    assert isinstance(env, dict)
    assert env["DATABASE_POOL_MIN"] == env["DATABASE_POOL_MAX"] == str(threads)
    conf = _conf(monkeypatch, tmp_path, GUNICORN_THREADS="1", GUNICORN_WORKERS="5")
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == (
        "innovate_api.server.BufferingThreadWorker",
        5,
        1,
    )


def test_config_refuses_a_pool_smaller_than_the_threads(monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="DATABASE_POOL_MAX"):
        _conf(monkeypatch, tmp_path, GUNICORN_THREADS="8", DATABASE_POOL_MAX="4")
    conf = _conf(monkeypatch, tmp_path, GUNICORN_THREADS="8", DATABASE_POOL_MAX="20")
    env = conf["_env"]
    assert isinstance(env, dict)
    assert (env["DATABASE_POOL_MIN"], env["DATABASE_POOL_MAX"]) == ("8", "20")


def _slow_clients(port: int, count: int, stop: threading.Event) -> list[socket.socket]:
    """``count`` connections that never finish their request: half trickle header lines,
    half announce a body and trickle it (bounded: they stop when ``stop`` is set)."""
    socks = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if i % 2:
            s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n")
        else:
            s.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\n"
                b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"
            )
        socks.append(s)

    def trickle() -> None:
        for _ in range(200):  # at most ~20 s
            if stop.wait(0.1):
                return
            for i, s in enumerate(socks):
                with contextlib.suppress(OSError):
                    s.sendall(b"X-More: 1\r\n" if i % 2 else b" ")

    threading.Thread(target=trickle, daemon=True).start()
    return socks


def test_fifty_slow_clients_do_not_stall_the_api(dsn, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(dsn, port, tmp_path, GUNICORN_WORKERS="1", GUNICORN_THREADS="2")
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    stop = threading.Event()
    socks: list[socket.socket] = []
    try:
        _wait_up(url, proc)
        socks = _slow_clients(port, 50, stop)
        time.sleep(1)  # they are all connected and trickling
        # Two threads, fifty stalled clients: everything is still served.
        for path in ("/healthz", "/api/v1/version", "/readyz"):
            r = requests.get(url + path, timeout=5)
            assert r.status_code == 200, path
        r = requests.post(
            url + "/api/v1/auth/login",
            json={"email": "nobody@example.com", "password": "not the password"},
            timeout=5,
        )
        assert r.status_code == 401
    finally:
        stop.set()
        for s in socks:
            s.close()
        _stop(proc)


def test_a_request_not_completed_in_time_gets_408(dsn, tmp_path):
    port = free_port()
    env = _env(dsn, port, tmp_path, GUNICORN_WORKERS="1", GUNICORN_READ_TIMEOUT="2")
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    try:
        _wait_up(f"http://127.0.0.1:{port}", proc)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /api/v1/version HTTP/1.1\r\nHost: t\r\n")  # never finished
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b"application/problem+json" in answer
    finally:
        _stop(proc)


def test_liveness_is_answered_while_every_thread_is_busy(dsn, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    marker = tmp_path / "slow-started"
    env = _env(
        dsn, port, tmp_path, GUNICORN_WORKERS="1", GUNICORN_THREADS="2", SLOW_MARKER=str(marker)
    )
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "slow_app:app"], env)
    try:
        _wait_up(url, proc)
        busy = [
            threading.Thread(
                target=requests.get, args=(url + "/test/slow?seconds=4",), kwargs={"timeout": 30}
            )
            for _ in range(2)
        ]
        for thread in busy:
            thread.start()
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # both threads are in the slow view now
        r = requests.get(url + "/healthz", timeout=2)
        assert (r.status_code, r.json()) == (200, {"status": "ok"})
        for thread in busy:
            thread.join()
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    ("data", "state"),
    [
        (b"GET / HTTP/1.1\r\nHost: t\r\n", "INCOMPLETE"),
        (b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", "COMPLETE"),
        (b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", "INCOMPLETE"),
        (b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "COMPLETE"),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "BODY_TOO_LARGE"),
        (b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "BAD"),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "BAD"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "INCOMPLETE"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "COMPLETE"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "BODY_TOO_LARGE"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 5000, "HEAD_TOO_LARGE"),
    ],
)
def test_request_state(data, state):
    from innovate_api import server

    assert server.request_state(data, 65536)[0] == getattr(server, state)


def test_sigterm_under_keepalive_load_resets_no_request(dsn, tmp_path):
    """32 keep-alive clients hammer the API; SIGTERM lands in the middle. Every request
    that was sent on a busy connection gets a complete answer (the last ones with
    Connection: close); after that, connection attempts are refused, never accepted and
    then reset. (A connection left idle for about the stop linger, 2 s, may be closed as
    its request crosses the close: HTTP/1.1's keep-alive race, which clients retry and
    the load balancer's deregistration avoids. On a starved machine a client thread can
    sit that long between two requests, so such requests are counted apart.)"""
    import http.client

    port = free_port()
    # No access log: thousands of lines would fill the pipe nobody reads here.
    env = _env(dsn, port, tmp_path, GUNICORN_WORKERS="2", GUNICORN_THREADS="4", LOG_LEVEL="WARNING")
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    _wait_up(f"http://127.0.0.1:{port}", proc)
    lock = threading.Lock()
    tally = {"ok": 0, "closed_by_server": 0, "refused": 0, "lost": 0, "idle_race": 0}
    lost: list[str] = []
    go = threading.Event()

    def client() -> None:
        go.wait()
        conn: http.client.HTTPConnection | None = None
        deadline = time.monotonic() + 15
        last_answer = time.monotonic()
        while time.monotonic() < deadline:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    conn.connect()
                    last_answer = time.monotonic()
                except ConnectionRefusedError:
                    with lock:
                        tally["refused"] += 1
                    return  # the server has stopped listening: nothing was sent
            idle = time.monotonic() - last_answer
            try:
                conn.request("GET", "/api/v1/version")
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    if idle < 1.0:  # a busy connection: this is the bug of the issue
                        tally["lost"] += 1
                        lost.append(f"{exc!r} after {idle:.3f} s idle")
                    else:
                        tally["idle_race"] += 1
                conn.close()
                conn = None
                continue
            last_answer = time.monotonic()
            with lock:
                tally["ok"] += ok
                if resp.getheader("Connection", "").lower() == "close":
                    tally["closed_by_server"] += 1
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None

    threads = [threading.Thread(target=client) for _ in range(32)]
    try:
        for thread in threads:
            thread.start()
        go.set()
        time.sleep(1.5)  # full keep-alive load
        proc.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=30)
        assert proc.wait(timeout=30) == 0
    finally:
        _stop(proc)
    assert tally["lost"] == 0, lost[:5]
    assert tally["ok"] > 100
    assert tally["refused"] == 32  # every client ended on a refused connect
    assert tally["closed_by_server"] > 0


def test_a_recycled_worker_leaves_the_listening_socket_to_the_others(dsn, tmp_path):
    """max_requests restarts a worker on its own: the server keeps listening."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(
        dsn, port, tmp_path, GUNICORN_WORKERS="2", GUNICORN_MAX_REQUESTS="10", LOG_LEVEL="WARNING"
    )
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    try:
        _wait_up(url, proc)
        statuses = []
        for _ in range(80):  # several recyclings of both workers
            try:
                r = requests.get(
                    url + "/api/v1/version", timeout=5, headers={"Connection": "close"}
                )
                statuses.append(r.status_code)
            except requests.ConnectionError:
                statuses.append(0)
                time.sleep(0.2)
        assert statuses.count(200) == 80
    finally:
        _stop(proc)


def test_expect_100_continue_and_a_trickled_body(dsn, tmp_path):
    port = free_port()
    env = _env(dsn, port, tmp_path, GUNICORN_WORKERS="1", LOG_LEVEL="WARNING")
    proc = _start([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], env)
    try:
        _wait_up(f"http://127.0.0.1:{port}", proc)
        body = json.dumps({"email": "nobody@example.com", "password": "not the password"})
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)
            )
            assert s.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
            for i in range(0, len(body), 7):  # the body in small pieces
                s.sendall(body[i : i + 7].encode())
                time.sleep(0.01)
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
        assert b"100 Continue" not in answer  # answered once, by the worker
    finally:
        _stop(proc)
