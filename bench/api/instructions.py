"""Instructions per request of the API and the bare reference, in-process (callgrind).

On a shared machine CPU time per request moves by +-30% between runs of the same code;
the number of instructions the interpreter executes does not. This runs each WSGI app
in-process (no HTTP server, no wrk) against a small throwaway PostgreSQL (devstack,
TLS), under ``valgrind --tool=callgrind``, and counts only the measured loops: each
runs inside a libc ``qsort`` comparator (a ctypes callback), and callgrind collects
only inside ctypes callbacks (``--toggle-collect=_CallPythonObject``), one dump per
loop. PostgreSQL runs natively and is not counted, nor is kernel time (system calls),
so this prices the Python layers, which is what differs between the API and the bare
reference. ~1.5 minutes:

    .venv/api/bin/python bench/api/instructions.py [--requests 200]

Needs valgrind (Debian: apt-get install valgrind).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CASES = (("get_note", "api"), ("get_note", "bare"), ("list_notes", "api"), ("list_notes", "bare"))


def _measure(cfg: dict[str, Any]) -> None:
    """Runs under valgrind: one counted loop of ``cfg['requests']`` calls per case."""
    import importlib

    from werkzeug.test import EnvironBuilder

    log = open(cfg["log"], "w")  # noqa: SIM115 - the access log, for the process lifetime
    sys.stderr = log
    apps = {
        "api": importlib.import_module("innovate_api.wsgi").app,
        "bare": importlib.import_module("bare_app").app,
    }
    headers = {
        "api": {"Authorization": f"Bearer {cfg['token']}"},
        "bare": {"X-User-Id": cfg["user_id"]},
    }
    paths = {"get_note": f"/api/v1/notes/{cfg['note_id']}", "list_notes": "/api/v1/notes?limit=20"}
    libc = ctypes.CDLL("libc.so.6")
    comparator = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    pair = (ctypes.c_int * 2)(1, 2)
    for scenario, target in CASES:
        app = apps[target]
        environ = EnvironBuilder(
            path=paths[scenario], headers=headers[target], environ_base={"REMOTE_ADDR": "127.0.0.1"}
        ).get_environ()
        statuses: list[str] = []

        def call(
            app: Any = app, environ: dict[str, Any] = environ, statuses: list[str] = statuses
        ) -> None:
            env = dict(environ)
            env["wsgi.input"] = io.BytesIO(b"")
            body = app(env, lambda status, _headers, _exc=None: statuses.append(status))
            b"".join(body)
            if hasattr(body, "close"):
                body.close()

        call()
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{scenario} {target}: {statuses[0]}")
        for _ in range(200):  # warm: prepared statements, caches
            call()

        def loop(_a: Any, _b: Any, call: Any = call) -> int:
            for _ in range(cfg["requests"]):
                call()
            return 0

        libc.qsort(pair, 2, ctypes.sizeof(ctypes.c_int), comparator(loop))


def parse_totals(dump_texts: list[str], minimum: int = 100_000) -> list[int]:
    """The ``totals:`` of each callgrind dump, in order, leaving out the tiny dumps of
    ctypes callbacks that are not ours (none are expected, but they would be harmless)."""
    totals = []
    for text in dump_texts:
        found = re.search(r"^totals:\s+(\d+)", text, re.M)
        if found and int(found.group(1)) >= minimum:
            totals.append(int(found.group(1)))
    return totals


def _dump_order(path: str) -> int:
    part = path.rsplit(".", 1)[-1]
    return int(part) if part.isdigit() else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=200, help="counted requests per case")
    p.add_argument("--valgrind", default=shutil.which("valgrind") or "valgrind")
    p.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the process under valgrind
    args = p.parse_args()
    if args.measure:
        _measure(json.loads(args.measure))
        return 0
    if shutil.which(args.valgrind) is None:
        print("valgrind is not installed (apt-get install -y valgrind)", file=sys.stderr)
        return 2

    import run_bench

    with run_bench._tempdir(False) as tmp, contextlib.ExitStack() as stack:
        _, dsn, env = run_bench.bench_database(stack, tmp, 100, 2000)
        env = {**os.environ, **env, "LOG_LEVEL": "INFO", "BENCH_BARE_DSN": dsn}
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        # A real token from the real sign-in (run natively: argon2 under valgrind is slow).
        os.environ.update(env)
        from innovate_api.app import create_app

        with contextlib.redirect_stderr(io.StringIO()):
            token, user_id, note_id = run_bench.sample_session(create_app().test_client(), dsn)
        cfg = {
            "requests": args.requests,
            "token": token,
            "user_id": user_id,
            "note_id": note_id,
            "log": str(tmp / "api.log"),
        }
        out = tmp / "callgrind.out"
        proc = subprocess.run(  # noqa: S603 - fixed argv
            [
                args.valgrind,
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=_CallPythonObject",
                "--dump-after=_CallPythonObject",
                f"--callgrind-out-file={out}.%p",
                sys.executable,
                __file__,
                "--measure",
                json.dumps(cfg),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        dumps = sorted((str(f) for f in tmp.glob("callgrind.out.*")), key=_dump_order)
        totals = parse_totals([Path(f).read_text(errors="replace") for f in dumps])
        if len(totals) != len(CASES):
            print(f"expected {len(CASES)} counted loops, found {len(totals)}", file=sys.stderr)
            return 1
        per = {case: total / args.requests for case, total in zip(CASES, totals, strict=True)}
        print(f"instructions per request (in-process, {args.requests} requests per case):")
        for scenario in ("get_note", "list_notes"):
            api, bare = per[(scenario, "api")], per[(scenario, "bare")]
            print(
                f"  {scenario:<11} api {api / 1000:8.1f}k  bare {bare / 1000:8.1f}k  "
                f"API extra {(api - bare) / 1000:+7.1f}k  bare/api {bare / api:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
