"""`make up` / `make down` / `make status` for the API's local stack.

PostgreSQL (devstack, TLS) in <state>/postgres, then Alembic migrations, then the API
under gunicorn with the production configuration on 127.0.0.1. State, logs and the
generated JWT secret stay in <state> (git-ignored .local/), so data survives restarts.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from devstack import DevstackError, LocalPostgres, port_in_use

API_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _api_secrets(state: Path) -> dict[str, str]:
    path = state / "api" / "secrets.json"
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"jwt_secret": secrets.token_urlsafe(48)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return data


def _pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _wait_ready(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def up(state: Path, port: int, pg_port: int) -> int:
    local = LocalPostgres(state / "postgres", port=pg_port)
    started = local.up()
    print(f"api: PostgreSQL {'started' if started else 'already running'} on 127.0.0.1:{pg_port}")
    cluster = local.cluster
    env = dict(os.environ)
    env.update(
        DATABASE_URL=local.app_dsn(),
        DATABASE_SSLROOTCERT=str(cluster.ca_file),
        JWT_SECRET=_api_secrets(state)["jwt_secret"],
        PROMETHEUS_MULTIPROC_DIR=str(state / "api" / "metrics"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=env.get("GUNICORN_WORKERS", "2"),
        DEPLOYMENT_COLOR=env.get("DEPLOYMENT_COLOR", "local"),
    )
    subprocess.run(  # noqa: S603 - fixed argv
        [str(BIN / "alembic"), "-c", str(API_DIR / "alembic.ini"), "upgrade", "head"],
        env=env,
        check=True,
        cwd=API_DIR,
    )
    url = f"http://127.0.0.1:{port}"
    pidfile = state / "api" / "gunicorn.pid"
    url_file = state / "api" / "url"
    if _pid(pidfile) is not None:
        running = url_file.read_text().strip() if url_file.exists() else "(unknown URL)"
        print(f"api: already running at {running}")
        if running != url:
            print(f"api: note: not moved to {url}; run `make down` first to change the port")
        return 0
    if port_in_use(port):
        print(
            f"api: error: port {port} on 127.0.0.1 is already in use; stop what uses it "
            f"or run `make up API_PORT=<other port>`",
            file=sys.stderr,
        )
        return 1
    log_path = state / "api" / "api.log"
    with log_path.open("ab") as log:
        subprocess.Popen(  # noqa: S603 - fixed argv
            [str(BIN / "gunicorn"), "-c", str(API_DIR / "gunicorn.conf.py"), "--pid", str(pidfile)],
            env=env,
            cwd=API_DIR,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    if not _wait_ready(url, 30):
        print(f"api: error: the API did not become ready; see {log_path}", file=sys.stderr)
        return 1
    url_file.write_text(url + "\n")
    print(f"api: running at {url}  (logs: {log_path})")
    print(f"api: try  curl {url}/api/v1/version")
    return 0


def down(state: Path) -> int:
    pidfile = state / "api" / "gunicorn.pid"
    pid = _pid(pidfile)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)  # graceful: in-flight requests finish
        deadline = time.monotonic() + 40
        while _pid(pidfile) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        print("api: API stopped")
    else:
        print("api: API was not running")
    local = LocalPostgres(state / "postgres")
    if local.exists() and local.down():
        print("api: PostgreSQL stopped (data kept)")
    return 0


def status(state: Path) -> int:
    pid = _pid(state / "api" / "gunicorn.pid")
    print(f"api: API {'running (pid ' + str(pid) + ')' if pid else 'stopped'}")
    local = LocalPostgres(state / "postgres")
    running = local.exists() and local.cluster.is_running()
    print(f"api: PostgreSQL {'running' if running else 'stopped'}")
    return 0 if pid and running else 3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--pg-port", type=int, default=25432)
    args = parser.parse_args()
    state = args.state.absolute()
    try:
        if args.command == "up":
            return up(state, args.port, args.pg_port)
        if args.command == "down":
            return down(state)
        return status(state)
    except DevstackError as exc:
        print(f"api: error: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"api: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
