"""`make bench-api`: load-test the API against a bare Flask + psycopg reference.

One run, everything on 127.0.0.1 and cleaned up at exit (also on Ctrl-C/SIGTERM):

1. a throwaway PostgreSQL cluster (devstack, TLS) in a temp dir, the API's Alembic
   migrations, then set-based seeding: 10,000 users sharing one precomputed argon2
   hash, 200,000 notes, ANALYZE;
2. the API and the bare reference (bare_app.py: the same SQL, no auth/validation/
   logging) under gunicorn with the API's gunicorn.conf.py, both on sslmode=require;
3. tokens from the real login endpoint for a sample of users, and note ids they own;
4. wrk (a separate process) per endpoint and target: a short warm-up, then a timed run;
5. a table of req/s, p50, p99, errors and the API/bare ratio.

Run with the API venv's interpreter (it has Flask, psycopg, argon2 and devstack).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import api_adapter  # noqa: E402
from cpu_probe import Probe  # noqa: E402
from wrk_result import WrkResult, combine, format_table, paired_ratios, parse_wrk  # noqa: E402

if TYPE_CHECKING:
    from devstack.postgres import PostgresCluster

API_DIR = ROOT / "services" / "api"
GUNICORN_CONF = API_DIR / "gunicorn.conf.py"
HOST = "127.0.0.1"
# Every seeded user has it (one shared argon2 hash); a throwaway database.
PASSWORD = "bench-Password-1"  # noqa: S105
EMAIL_FMT = "bench{:05d}@example.com"
SCENARIOS = ("get_note", "list_notes", "create_note", "sign_in", "signin_flood")
# signin_flood: get_note on an API with its production limits, alone and while paced
# attackers try wrong passwords from many (X-Forwarded-For) addresses.
FLOOD_CLIENTS = 500
FLOOD_DELAY_MS = 50


# --- process handling ----------------------------------------------------------------


class Stop(Exception):
    """Raised from the SIGTERM/SIGHUP handler so cleanup runs like on Ctrl-C."""


def _on_signal(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a child started in its own session, and everything it forked."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _spawn(
    stack: contextlib.ExitStack, argv: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    # Own session: a Ctrl-C reaches only us, and we stop the whole group in order.
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    stack.callback(_kill_group, proc)
    return proc


def _http(
    method: str, url: str, body: dict[str, object] | None = None, token: str | None = None
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} server exited early; log:\n{_tail(log)}")
        with contextlib.suppress(OSError):
            _http("GET", url)
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s; log:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


# --- database --------------------------------------------------------------------------


def seed(dsn: str, users: int, notes: int, api_env: dict[str, str]) -> None:
    """Set-based seeding: a few INSERT ... SELECT generate_series statements."""
    import psycopg

    # One hash for everyone: hashing 10,000 passwords would take half an hour.
    pw_hash = api_adapter.hash_password(PASSWORD, api_env)
    t0 = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in api_adapter.seed_sql():
            conn.execute(
                statement,
                {"users": users, "notes": notes, "pw_hash": pw_hash},
            )
        # VACUUM sets the visibility map (index-only scans) and ANALYZE the statistics,
        # as a long-lived database would have them.
        conn.execute("VACUUM ANALYZE")
        counts = conn.execute(api_adapter.COUNT_SQL).fetchone()
    print(f"seeded {counts} in {time.monotonic() - t0:.1f}s", flush=True)


def sample_notes(dsn: str, user_ids: list[str], per_user: int) -> dict[str, list[str]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(api_adapter.SAMPLE_NOTES_SQL, (user_ids, per_user)).fetchall()
    out: dict[str, list[str]] = {}
    for owner, note_id in rows:
        out.setdefault(str(owner), []).append(str(note_id))
    return out


# --- load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    email: str
    user_id: str
    token: str


def login_sample(base: str, dsn: str, emails: list[str], workers: int) -> list[Client]:
    """Real tokens from the real login endpoint, and each user's id for the bare app."""

    def one(email: str) -> str:
        status, body = _http(
            "POST", base + "/api/v1/auth/login", {"email": email, "password": PASSWORD}
        )
        if status != 200:
            raise RuntimeError(f"login {email} -> {status}: {body[:300]!r}")
        return str(json.loads(body)["access_token"])

    with ThreadPoolExecutor(workers) as pool:
        tokens = list(pool.map(one, emails))
    ids = sample_users(dsn, emails)
    return [Client(e, str(ids[e]), t) for e, t in zip(emails, tokens, strict=True)]


def sample_users(dsn: str, emails: list[str]) -> dict[str, str]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(api_adapter.USER_IDS_SQL, (emails,)).fetchall()
    return {email: str(user_id) for email, user_id in rows}


def write_requests(
    path: Path,
    scenario: str,
    target: str,
    clients: list[Client],
    notes: dict[str, list[str]],
    login_emails: list[str],
) -> Path:
    """The request lines scenario.lua replays (method, path, body, header pairs)."""
    lines: list[list[str]] = []
    for c in clients:
        # The bare reference trusts the caller's X-User-Id: that is the layer we remove.
        if target == "api":
            auth = ["Authorization", f"Bearer {c.token}"]
        else:
            auth = ["X-User-Id", c.user_id]
        if scenario == "get_note":
            lines += [["GET", f"/api/v1/notes/{n}", "", *auth] for n in notes.get(c.user_id, [])]
        elif scenario == "list_notes":
            lines.append(["GET", "/api/v1/notes?limit=20", "", *auth])
        elif scenario == "create_note":
            body = json.dumps({"title": "bench note", "body": "written by make bench-api " * 4})
            lines.append(["POST", "/api/v1/notes", body, *auth])
    if scenario == "sign_in":
        for email in login_emails:
            body = json.dumps({"email": email, "password": PASSWORD})
            lines.append(["POST", "/api/v1/auth/login", body])
    for fields in lines:
        assert not any("\t" in f or "\n" in f for f in fields)
    path.write_text("".join("\t".join(f) + "\n" for f in lines))
    return path


def run_wrk(
    url: str,
    requests_file: Path,
    seconds: int,
    connections: int,
    threads: int,
    timeout: int = 5,
    extra_env: dict[str, str] | None = None,
) -> WrkResult:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        f"{timeout}s",
        "-s",
        str(HERE / "scenario.lua"),
        url,
    ]
    env = {**os.environ, "BENCH_REQUESTS": str(requests_file), **(extra_env or {})}
    # Bounded twice: wrk stops itself after -d, and we kill it if it does not.
    proc = subprocess.run(  # noqa: S603 - fixed argv
        argv, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}{proc.stdout}")
    return parse_wrk(proc.stdout)


def write_flood(path: Path, login_emails: list[str], rng: random.Random) -> Path:
    """Wrong-password sign-ins, each from one of FLOOD_CLIENTS addresses (the API under
    test trusts 127.0.0.1 as its proxy, so these are distinct clients to it)."""
    lines = []
    for email in login_emails:
        body = json.dumps({"email": email, "password": "not-the-password-1"})
        ip = f"198.18.{rng.randrange(FLOOD_CLIENTS) // 250}.{rng.randrange(250) + 1}"
        lines.append(f"POST\t/api/v1/auth/login\t{body}\tX-Forwarded-For\t{ip}\n")
    path.write_text("".join(lines))
    return path


def measure_flood(
    args: argparse.Namespace,
    base: str,
    tmp: Path,
    clients: list[Client],
    notes: dict[str, list[str]],
    login_emails: list[str],
    seconds: int,
) -> None:
    """get_note alone and under a sign-in flood, alternating; prints both and the flood."""
    reads = write_requests(tmp / "flood-read.tsv", "get_note", "api", clients, notes, [])
    attack = write_flood(tmp / "flood-attack.tsv", login_emails, random.Random(7))
    pace = {"BENCH_DELAY_MS": str(FLOOD_DELAY_MS)}
    if args.warmup:
        run_wrk(base, reads, args.warmup, args.connections, args.wrk_threads)
    runs: dict[str, list[WrkResult]] = {"alone": [], "flooded": []}
    floods: list[WrkResult] = []
    for i in range(args.rounds):
        for mode in ("alone", "flooded") if i % 2 == 0 else ("flooded", "alone"):
            if mode == "alone":
                r = run_wrk(base, reads, seconds, args.connections, args.wrk_threads)
            else:
                with ThreadPoolExecutor(1) as pool:
                    flood = pool.submit(
                        run_wrk, base, attack, seconds + 2, args.signin_connections, 1, 30, pace
                    )
                    time.sleep(1)  # the flood is on before the reads start
                    r = run_wrk(base, reads, seconds, args.connections, args.wrk_threads)
                    floods.append(flood.result())
            runs[mode].append(r)
            print(
                f"  signin_flood get_note {mode:<7} round {i + 1}: {r.rps:6.0f} req/s"
                f"  p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms  errors {r.errors}",
                flush=True,
            )
    alone, flooded, attackers = combine(runs["alone"]), combine(runs["flooded"]), combine(floods)
    print(
        f"\nsignin_flood: get_note ({args.connections} connections) on the API with its "
        f"production limits, alone and while {args.signin_connections} paced attackers "
        f"({FLOOD_DELAY_MS} ms apart each) sign in with wrong passwords from "
        f"{FLOOD_CLIENTS} addresses"
        + (f"; overridden: {' '.join(args.flood_env)}" if args.flood_env else "")
    )
    for name, r in (("alone", alone), ("flooded", flooded)):
        print(
            f"  get_note {name:<8} {r.rps:7.0f} req/s  p50 {r.p50_ms:6.1f} ms  "
            f"p99 {r.p99_ms:6.1f} ms  errors {r.errors}"
        )
    print(
        f"  attackers answered {attackers.rps:.0f} sign-ins/s (all refused: 401, 429 or 503 "
        f"by design), p99 {attackers.p99_ms:.0f} ms"
    )
    print(
        f"  get_note under the flood: req/s x{flooded.rps / alone.rps:.2f}, p99 "
        f"{flooded.p99_ms:.1f} ms against {alone.p99_ms:.1f} ms alone"
    )
    if flooded.errors or alone.errors:
        raise RuntimeError(f"get_note errors during signin_flood: {flooded.errors + alone.errors}")


def profile(
    args: argparse.Namespace,
    scenario: str,
    targets: dict[str, tuple[str, subprocess.Popen[bytes]]],
    tmp: Path,
    clients: list[Client],
    notes: dict[str, list[str]],
    login_emails: list[str],
) -> None:
    """py-spy on every worker while wrk drives one target: samples / rate / requests =
    time a worker spends per request in each layer (waits on PostgreSQL included)."""
    from collections import Counter

    from profile_layers import attribute, format_breakdown

    rate = 200
    args.profile.mkdir(parents=True, exist_ok=True)
    conns = args.signin_connections if scenario == "sign_in" else args.connections
    samples: dict[str, Counter[str]] = {}
    counters: dict[str, dict[str, float]] = {}
    requests: dict[str, int] = {}
    for target, (base, proc) in targets.items():
        reqs = write_requests(
            tmp / f"{scenario}-{target}.tsv", scenario, target, clients, notes, login_emails
        )
        run_wrk(base, reqs, max(args.warmup, 1), conns, args.wrk_threads, 30)
        out = args.profile / f"{scenario}-{target}.txt"
        if args.perf_stat:
            r, counts = perf_stat(args, base, reqs, conns, proc.pid)
            counters[target] = counts
            requests[target] = r.requests
            print(f"  perf stat {scenario} {target}: {r.rps:.0f} req/s")
            continue
        spy = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                args.py_spy,
                "record",
                "--pid",
                str(proc.pid),
                "--subprocesses",
                "--nonblocking",
                "--format",
                "raw",
                "--full-filenames",
                "--rate",
                str(rate),
                *(["--gil"] if args.profile_gil else []),
                "--duration",
                str(args.duration + 2),
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            time.sleep(1)  # let py-spy attach to every worker first
            r = run_wrk(base, reqs, args.duration, conns, args.wrk_threads, 30)
            _, err = spy.communicate(timeout=args.duration + 60)
        finally:
            _kill_group(spy)
        if spy.returncode != 0 or not out.exists():
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {err.decode()[-1000:]}")
        samples[target] = attribute(out.read_text())
        requests[target] = r.requests
        print(f"  profiled {scenario} {target}: {r.rps:.0f} req/s under py-spy -> {out}")
    if args.perf_stat:
        print(f"\n{scenario} (perf stat of the server's processes, per request):")
        print(format_counters(counters, requests))
        return
    print(
        f"\n{scenario}"
        + (" (GIL holder only: Python CPU per request):" if args.profile_gil else ":")
    )
    print(format_breakdown(samples, rate, requests))


PERF_EVENTS = "task-clock,context-switches,cpu-migrations,raw_syscalls:sys_enter"


def server_pids(root: int) -> list[int]:
    """The gunicorn master and its workers."""
    pids = [root]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{root}/task").iterdir():
            children = (task / "children").read_text().split()
            pids += [int(c) for c in children]
    return pids


def perf_stat(
    args: argparse.Namespace, base: str, reqs: Path, conns: int, root: int
) -> tuple[WrkResult, dict[str, float]]:
    """``perf stat`` (software events and the syscall tracepoint: no hardware counters
    needed) over every process of one server while wrk drives it."""
    pids = ",".join(str(p) for p in server_pids(root))
    out = args.profile / f"perf-{root}.csv"
    perf = subprocess.Popen(  # noqa: S603 - fixed argv
        [args.perf, "stat", "-x", ",", "-o", str(out), "-e", args.perf_events, "-p", pids],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        time.sleep(0.5)
        r = run_wrk(base, reqs, args.duration, conns, args.wrk_threads, 30)
        perf.send_signal(signal.SIGINT)
        _, err = perf.communicate(timeout=30)
    finally:
        _kill_group(perf)
    if not out.exists():
        raise RuntimeError(f"perf stat failed ({perf.returncode}): {err.decode()[-500:]}")
    counts = parse_perf_csv(out.read_text(), args.perf_events.split(","))
    if not counts:
        raise RuntimeError(f"perf stat gave nothing: {err.decode()[-500:]}")
    return r, counts


def parse_perf_csv(text: str, events: list[str]) -> dict[str, float]:
    """``perf stat -x ,`` lines: value,unit,event,... (``<not counted>`` is skipped)."""
    counts: dict[str, float] = {}
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] in events:
            with contextlib.suppress(ValueError):
                counts[fields[2]] = float(fields[0])
    return counts


def format_counters(counters: dict[str, dict[str, float]], requests: dict[str, int]) -> str:
    targets = list(counters)
    events = sorted({e for c in counters.values() for e in c})
    lines = [f"{'per request':<40}" + "".join(f"{t:>10}" for t in targets)]
    for event in events:
        label = "CPU ms (task-clock)" if event == "task-clock" else event
        cells = [counters[t].get(event, 0.0) / max(requests[t], 1) for t in targets]
        lines.append(f"{label:<40}" + "".join(f"{c:>10.3f}" for c in cells))
    return "\n".join(lines)


def wait_quiet(probe: Probe, limit_s: int, threshold: float = 0.15) -> None:
    """On a shared machine, give a neighbour's burst (a test suite, a build) up to
    ``limit_s`` seconds to pass before measuring; say so either way."""
    deadline = time.monotonic() + limit_s
    while True:
        probe.start()
        time.sleep(1)
        other = probe.stop().other
        if other < threshold:
            return
        if time.monotonic() >= deadline:
            print(f"  machine still busy (other processes use {other:.0%}): measuring anyway")
            return


def postmaster_pid(data_dir: Path) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    return -1


# --- machine ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


# --- main ------------------------------------------------------------------------------


@contextlib.contextmanager
def _tempdir(keep: bool) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    # The postgres system user must traverse it (devstack runs the server as it).
    tmp.chmod(0o755)
    try:
        yield tmp
    finally:
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def sample_session(client: Any, dsn: str) -> tuple[str, str, str]:
    """A real token from the real sign-in of a seeded user (through a Flask test
    client), that user's id and one of their notes: what the in-process tools replay."""
    email = EMAIL_FMT.format(7)
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    token = login.get_json()["access_token"]
    user_id = str(sample_users(dsn, [email])[email])
    return token, user_id, sample_notes(dsn, [user_id], 1)[user_id][0]


def _setting(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name, value


def bench_database(
    stack: contextlib.ExitStack,
    tmp: Path,
    users: int,
    notes: int,
    api_overrides: Iterable[tuple[str, str]] = (),
) -> tuple[PostgresCluster, str, dict[str, str]]:
    """A throwaway PostgreSQL cluster (TLS, SCRAM) in ``tmp``, destroyed with ``stack``,
    with the API's migrations and ``users``/``notes`` seeded: the cluster, the DSN and
    the API's environment (``api_overrides`` applied before migrating)."""
    from devstack.postgres import PostgresCluster, free_port

    cluster = PostgresCluster(tmp / "pg", free_port(), superuser_password=secrets.token_urlsafe(18))
    stack.callback(cluster.destroy)
    cluster.init()
    cluster.start()
    db_password = secrets.token_urlsafe(18)
    cluster.create_database("bench", owner="bench", password=db_password)
    dsn = cluster.dsn("bench", "bench", db_password, sslmode="require")
    api_env = api_adapter.api_env(dsn, tmp)
    api_env.update(api_overrides)
    api_adapter.migrate(api_env)
    seed(dsn, users, notes, api_env)
    return cluster, dsn, api_env


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--notes", type=int, default=200_000)
    p.add_argument(
        "--duration", type=int, default=24, help="measured seconds per endpoint and target"
    )
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds the time is cut in")
    p.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per run")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument(
        "--signin-connections",
        type=int,
        default=8,
        help="sign-in is argon2-bound (~10/s on 2 cores): 32 connections would only queue",
    )
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--sample-users", type=int, default=100, help="users signed in for tokens")
    p.add_argument("--notes-per-user", type=int, default=20, help="note ids per sampled user")
    p.add_argument(
        "--quiet-wait",
        type=int,
        default=20,
        help="seconds to wait, per endpoint, for other processes to leave the CPUs idle",
    )
    p.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument(
        "--api-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the API only, e.g. LOG_LEVEL=WARNING (repeatable)",
    )
    p.add_argument(
        "--flood-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for signin_flood's API only, e.g. to price the protections: "
        "PASSWORD_HASH_CONCURRENCY=4 AUTH_GLOBAL_PER_SECOND=1000000 PASSWORD_HASH_NICE=0",
    )
    p.add_argument(
        "--bare-db",
        choices=["plain", "api-sql", "tx-pipeline"],
        default="plain",
        help="diagnostic: 'api-sql' makes the bare reference run the API's exact statements "
        "(token-revocation check included, see bare_app.py), leaving only the Python layers "
        "as the difference; 'tx-pipeline' prices the API's earlier pipelined-transaction "
        "writes; the default 'plain' is the reference",
    )
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="instead of measuring, sample both servers with py-spy per scenario, write the "
        "raw stacks to DIR and print the busy time per request by layer",
    )
    p.add_argument(
        "--profile-gil",
        action="store_true",
        help="with --profile: sample only the thread holding the interpreter lock, so the "
        "figures are Python CPU time per request, not busy time (which counts every "
        "thread waiting for the lock or a socket)",
    )
    p.add_argument(
        "--perf-stat",
        action="store_true",
        help="with --profile: count CPU time, context switches, migrations and system "
        "calls per request with perf stat instead of sampling with py-spy",
    )
    p.add_argument(
        "--perf-events",
        default=PERF_EVENTS,
        help="with --perf-stat: perf's comma-separated event list "
        "(e.g. syscalls:sys_enter_futex,syscalls:sys_enter_write)",
    )
    p.add_argument("--perf", default=shutil.which("perf") or "/usr/bin/perf", help="perf binary")
    p.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy", help="py-spy binary")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs) for debugging")
    args = p.parse_args(argv)

    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    if args.profile and not args.perf_stat and shutil.which(args.py_spy) is None:
        print(
            f"--profile needs py-spy ({args.py_spy} not found: pip install py-spy)", file=sys.stderr
        )
        return 2
    if args.profile and args.perf_stat and shutil.which(args.perf) is None:
        print(
            f"--perf-stat needs perf ({args.perf} not found: apt-get install -y linux-perf)",
            file=sys.stderr,
        )
        return 2
    # Ctrl-C even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        return _run(args)
    except (KeyboardInterrupt, Stop) as exc:
        print(f"\ninterrupted ({str(exc) or 'SIGINT'}); cleaned up", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from devstack.postgres import free_port

    started = time.monotonic()
    seconds = max(1, args.duration // args.rounds)
    info = machine()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    with _tempdir(args.keep) as tmp, contextlib.ExitStack() as stack:
        cluster, dsn, api_env = bench_database(
            stack,
            tmp,
            args.users,
            args.notes,
            (_setting(kv) for kv in args.api_env),
        )

        api_port, bare_port = free_port(), free_port()
        api_log, bare_log = tmp / "api.log", tmp / "bare.log"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        api = _spawn(
            stack,
            [
                gunicorn,
                "-c",
                str(GUNICORN_CONF),
                "--bind",
                f"{HOST}:{api_port}",
                *api_adapter.API_APP_ARGS,
            ],
            api_env,
            api_log,
        )
        bare_env = {
            **os.environ,
            "BENCH_BARE_DSN": dsn,
            "BENCH_BARE_DB": args.bare_db,
            "BENCH_API_CONF": str(GUNICORN_CONF),
            # The API's config (re)creates this dir; keep it away from the API's.
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics-bare"),
        }
        bare = _spawn(
            stack,
            [
                gunicorn,
                "-c",
                str(HERE / "gunicorn_bare.conf.py"),
                "--bind",
                f"{HOST}:{bare_port}",
                "--chdir",
                str(HERE),
                "bare_app:app",
            ],
            bare_env,
            bare_log,
        )
        api_base, bare_base = f"http://{HOST}:{api_port}", f"http://{HOST}:{bare_port}"
        flood_base = ""
        if "signin_flood" in args.only:
            flood_port, flood_log = free_port(), tmp / "api-flood.log"
            flood_api = _spawn(
                stack,
                [gunicorn, "-c", str(GUNICORN_CONF), "--bind", f"{HOST}:{flood_port}"],
                {
                    **api_adapter.flood_env(api_env, tmp),
                    **dict(kv.split("=", 1) for kv in args.flood_env),
                },
                flood_log,
            )
            flood_base = f"http://{HOST}:{flood_port}"
            _wait_http(flood_base + api_adapter.READY_PATH, flood_api, flood_log)
        _wait_http(api_base + api_adapter.READY_PATH, api, api_log)
        _wait_http(bare_base + "/ready", bare, bare_log)
        print(
            f"servers up after {time.monotonic() - started:.0f}s "
            f"({api_adapter.gunicorn_summary(GUNICORN_CONF, api_env)})",
            flush=True,
        )

        rng = random.Random(20261129)  # same sample every run: comparable runs
        picked = rng.sample(range(args.users), min(args.sample_users, args.users))
        t0 = time.monotonic()
        clients = login_sample(api_base, dsn, [EMAIL_FMT.format(i) for i in picked], workers=8)
        print(f"signed in {len(clients)} users in {time.monotonic() - t0:.1f}s", flush=True)
        notes = sample_notes(dsn, [c.user_id for c in clients], args.notes_per_user)
        login_emails = [EMAIL_FMT.format(i) for i in rng.sample(range(args.users), 500)]

        if args.profile:
            targets = {"bare": (bare_base, bare), "api": (api_base, api)}
            for scenario in args.only:
                if scenario != "signin_flood":
                    profile(args, scenario, targets, tmp, clients, notes, login_emails)
            return 0

        rounds: dict[str, dict[str, list[WrkResult]]] = {}
        # CPU time of each server's processes and of PostgreSQL per round, and of
        # everything else on the machine (a noisy neighbour shows instead of misleading).
        pm = postmaster_pid(cluster.data_dir)
        probes = {
            t: Probe([os.getpid(), pm], {"app": [proc.pid], "db": [pm]})
            for t, proc in (("bare", bare), ("api", api))
        }
        for scenario in args.only:
            wait_quiet(probes["api"], args.quiet_wait)
            if scenario == "signin_flood":
                measure_flood(args, flood_base, tmp, clients, notes, login_emails, seconds)
                continue
            signin = scenario == "sign_in"
            conns = args.signin_connections if signin else args.connections
            # Sign-in answers in ~1 s under load: give it room so slow is not "error".
            timeout = 30 if signin else 5
            targets = {"bare": bare_base, "api": api_base}
            reqs = {
                t: write_requests(
                    tmp / f"{scenario}-{t}.tsv", scenario, t, clients, notes, login_emails
                )
                for t in targets
            }
            if args.warmup:
                for t, base in targets.items():
                    run_wrk(base, reqs[t], args.warmup, conns, args.wrk_threads, timeout)
            rounds[scenario] = {t: [] for t in targets}
            # Short alternating rounds (bare, api, api, bare, ...): drift and bursts from
            # anything else on the machine land on both targets alike.
            for i in range(args.rounds):
                for t in ("bare", "api") if i % 2 == 0 else ("api", "bare"):
                    probes[t].start()
                    r = run_wrk(targets[t], reqs[t], seconds, conns, args.wrk_threads, timeout)
                    cpu = probes[t].stop()
                    r = replace(
                        r, app_cpu_s=cpu.cpu_s["app"], db_cpu_s=cpu.cpu_s["db"], other_cpu=cpu.other
                    )
                    rounds[scenario][t].append(r)
                    print(
                        f"  {scenario:<12} {t:<5} round {i + 1}: {r.rps:6.0f} req/s"
                        f"  p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms  errors {r.errors}"
                        f"  CPU/req app {r.app_ms:.2f} ms db {r.db_ms:.2f} ms"
                        f"  other {r.other_cpu:.0%}",
                        flush=True,
                    )
            for name, proc, log in (("api", api, api_log), ("bare", bare, bare_log)):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} server died during {scenario}:\n{_tail(log)}")

        results = {s: {t: combine(rr) for t, rr in r.items()} for s, r in rounds.items()}
        ratios = {s: paired_ratios(r["api"], r["bare"]) for s, r in rounds.items()}
        print()
        print(
            f"wrk: {args.connections} connections ({args.signin_connections} for sign_in), "
            f"{args.wrk_threads} threads, {args.rounds} alternating rounds of {seconds}s per "
            f"target after {args.warmup}s warm-up; {args.users} users, {args.notes} notes"
            + (f"; bare reference with --bare-db {args.bare_db}" if args.bare_db != "plain" else "")
        )
        print(format_table([(s, r["api"], r["bare"], ratios[s]) for s, r in results.items()]))
        print(
            "errors: responses >= 400 + socket errors.  app/db ms/req: CPU time of the "
            "server's processes / of PostgreSQL per request.\nother: share of the machine "
            "used by processes outside the benchmark; above ~10% the run was disturbed (req/s "
            "drop, and contention inflates CPU/req too).\nvs bare: API req/s / bare req/s, "
            "median of paired rounds (min-max)."
        )
        if "sign_in" in results:
            print("sign_in is argon2-bound by design: both targets verify the same argon2id hash")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": info,
                        "settings": {k: v for k, v in vars(args).items() if k != "json"},
                        "results": {
                            s: {
                                "ratio_rounds": ratios[s],
                                **{
                                    t: {
                                        **asdict(r),
                                        "rps": r.rps,
                                        "errors": r.errors,
                                        "app_ms_per_request": r.app_ms,
                                        "db_ms_per_request": r.db_ms,
                                    }
                                    for t, r in rr.items()
                                },
                            }
                            for s, rr in results.items()
                        },
                    },
                    indent=2,
                    default=str,
                )
            )
        print(f"total {time.monotonic() - started:.0f}s")
        failed = sum(r.errors for rr in results.values() for r in rr.values())
        if failed:
            print(f"FAILED: {failed} errors (see the logs with --keep)", file=sys.stderr)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
