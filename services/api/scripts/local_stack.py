"""`make up` / `make down` / `make status` for the local stack.

PostgreSQL (devstack, TLS) in <state>/postgres, then Alembic migrations, then the API
under gunicorn with the production configuration on 127.0.0.1, then (with --web-dist)
the front server (devstack.front) that serves the built SPA and forwards /api/* to the
API on one origin, as CloudFront does in the cloud. State, logs and the generated JWT
secret stay in <state> (git-ignored .local/), so data survives restarts.
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


def _git_sha() -> str:
    """The checkout's commit, shown by /api/v1/version (the About view), as in the image."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 - git from PATH
            cwd=API_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


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


def _wait_front(url: str, timeout: float) -> bool:
    """The SPA's page and the API through the front server both answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with (
                urllib.request.urlopen(url + "/", timeout=2) as page,  # noqa: S310
                urllib.request.urlopen(url + "/api/v1/version", timeout=2) as api,  # noqa: S310
            ):
                if page.status == 200 and api.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _stop(pidfile: Path, timeout: float) -> bool:
    pid = _pid(pidfile)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)  # graceful: in-flight requests finish
    deadline = time.monotonic() + timeout
    while _pid(pidfile) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    return True


def front_up(state: Path, api_url: str, dist: Path, headers: Path, port: int) -> int:
    web = state / "web"
    web.mkdir(parents=True, exist_ok=True)
    pidfile, url_file = web / "front.pid", web / "url"
    url = f"http://127.0.0.1:{port}"
    if _pid(pidfile) is not None:
        running = url_file.read_text().strip() if url_file.exists() else "(unknown URL)"
        print(f"web: front server already running at {running}")
        if running != url:
            print(f"web: note: not moved to {url}; run `make down` first to change the port")
        return 0
    if port_in_use(port):
        print(
            f"web: error: port {port} on 127.0.0.1 is already in use; stop what uses it "
            f"or run `make up WEB_PORT=<other port>`",
            file=sys.stderr,
        )
        return 1
    log_path = web / "front.log"
    argv = [sys.executable, "-m", "devstack.front", "--dist", str(dist), "--api", api_url]
    argv += ["--headers", str(headers), "--port", str(port)]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv
            argv,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    if not _wait_front(url, 15):
        print(f"web: error: the front server did not answer; see {log_path}", file=sys.stderr)
        _stop(pidfile, 5)
        return 1
    url_file.write_text(url + "\n")
    print(f"web: front server logs: {log_path}")
    return 0


def up(
    state: Path,
    port: int,
    pg_port: int,
    web_dist: Path | None = None,
    web_headers: Path | None = None,
    web_port: int = 8080,
) -> int:
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
        GIT_SHA=env.get("GIT_SHA") or _git_sha(),
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
        return _front_and_url(state, running, web_dist, web_headers, web_port)
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
    return _front_and_url(state, url, web_dist, web_headers, web_port)


def _front_and_url(
    state: Path, api_url: str, web_dist: Path | None, web_headers: Path | None, web_port: int
) -> int:
    if web_dist is None or web_headers is None:
        print(f"api: try  curl {api_url}/api/v1/version")
        return 0
    status = front_up(state, api_url, web_dist, web_headers, web_port)
    if status == 0:
        url = (state / "web" / "url").read_text().strip()
        print(f"\nInnovate is running at {url}  (the SPA, and the API under {url}/api/v1)")
    return status


def down(state: Path) -> int:
    if _stop(state / "web" / "front.pid", 10):
        print("web: front server stopped")
    if _stop(state / "api" / "gunicorn.pid", 40):
        print("api: API stopped")
    else:
        print("api: API was not running")
    local = LocalPostgres(state / "postgres")
    if local.exists() and local.down():
        print("api: PostgreSQL stopped (data kept)")
    return 0


def status(state: Path, web: bool = False) -> int:
    pid = _pid(state / "api" / "gunicorn.pid")
    print(f"api: API {'running (pid ' + str(pid) + ')' if pid else 'stopped'}")
    local = LocalPostgres(state / "postgres")
    running = local.exists() and local.cluster.is_running()
    print(f"api: PostgreSQL {'running' if running else 'stopped'}")
    front = _pid(state / "web" / "front.pid")
    if front:
        url_file = state / "web" / "url"
        url = url_file.read_text().strip() if url_file.exists() else "(unknown URL)"
        print(f"web: front server running (pid {front}) at {url}")
    elif web:
        print("web: front server stopped")
    return 0 if pid and running and (front or not web) else 3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--pg-port", type=int, default=25432)
    parser.add_argument("--web-dist", type=Path, help="serve this SPA build in front of the API")
    parser.add_argument("--web-headers", type=Path, help="web/security-headers.json")
    parser.add_argument("--web-port", type=int, default=8080)
    args = parser.parse_args()
    state = args.state.absolute()
    if (args.web_dist is None) != (args.web_headers is None):
        parser.error("--web-dist and --web-headers go together")
    web_dist = args.web_dist.absolute() if args.web_dist else None
    web_headers = args.web_headers.absolute() if args.web_headers else None
    try:
        if args.command == "up":
            return up(state, args.port, args.pg_port, web_dist, web_headers, args.web_port)
        if args.command == "down":
            return down(state)
        return status(state, web=web_dist is not None)
    except DevstackError as exc:
        print(f"api: error: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"api: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
