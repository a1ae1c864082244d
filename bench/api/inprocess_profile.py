"""Where the API's CPU goes on one request, without HTTP, gunicorn or a second process.

Calls both WSGI apps (the API and bare_app.py) in-process through Werkzeug's test
client, against a small throwaway PostgreSQL (devstack, TLS), for the same read and
write, and prints CPU microseconds per request for each, then the functions where the
API spends its extra time (cProfile, cumulative, per request). Deterministic enough to
compare layer by layer on a busy machine; run it with the API's venv:

    .venv/api/bin/python bench/api/inprocess_profile.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run_bench  # noqa: E402

Call = Callable[[], object]


def cpu_us(call: Call, n: int) -> float:
    for _ in range(min(n, 200)):  # warm caches and prepared statements
        call()
    t0 = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - t0) / n * 1e6


def top_functions(call: Call, n: int, limit: int) -> list[tuple[float, str]]:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        call()
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (path, line, func), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = path.split("site-packages/")[-1].split("/work/main/")[-1]
        rows.append((cum / n * 1e6, f"{func} ({short}:{line})"))
    return sorted(rows, reverse=True)[:limit]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()

    with run_bench._tempdir(False) as tmp, contextlib.ExitStack() as stack:
        _, dsn, env = run_bench.bench_database(stack, tmp, 100, 2000)
        os.environ.update(env)
        os.environ["LOG_LEVEL"] = "INFO"
        os.environ["BENCH_BARE_DSN"] = dsn
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        # The access log goes to stderr in production: send it to a file, as gunicorn would.
        log = (tmp / "api.log").open("w")
        stack.callback(log.close)
        stderr, sys.stderr = sys.stderr, log
        stack.callback(setattr, sys, "stderr", stderr)

        api = importlib.import_module("innovate_api.wsgi").app.test_client()
        bare = importlib.import_module("bare_app").app.test_client()
        token, user_id, note_id = run_bench.sample_session(api, dsn)
        auth = {"Authorization": f"Bearer {token}"}
        who = {"X-User-Id": user_id}
        body = json.dumps({"title": "bench note", "body": "written by the profiler"})
        cases: dict[str, tuple[Call, Call]] = {
            "get_note": (
                lambda: api.get(f"/api/v1/notes/{note_id}", headers=auth),
                lambda: bare.get(f"/api/v1/notes/{note_id}", headers=who),
            ),
            "list_notes": (
                lambda: api.get("/api/v1/notes?limit=20", headers=auth),
                lambda: bare.get("/api/v1/notes?limit=20", headers=who),
            ),
            "create_note": (
                lambda: api.post(
                    "/api/v1/notes", data=body, headers=auth, content_type="application/json"
                ),
                lambda: bare.post(
                    "/api/v1/notes", data=body, headers=who, content_type="application/json"
                ),
            ),
        }
        for name, (api_call, bare_call) in cases.items():
            assert api_call().status_code in (200, 201), api_call().get_data()
            a, b = cpu_us(api_call, args.requests), cpu_us(bare_call, args.requests)
            print(
                f"\n{name}: CPU per request in-process  api {a:7.0f} us  bare {b:7.0f} us"
                f"  (API extra {a - b:+.0f} us, bare/api {b / a:.2f})",
                file=stderr,
            )
            print(f"  API, cumulative us per request by function (top {args.top}):", file=stderr)
            for us, func in top_functions(api_call, args.requests // 3, args.top):
                print(f"  {us:8.1f}  {func}", file=stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
