"""Unit tests of the benchmark's pure helpers: wrk output parsing, the table, the
request files scenario.lua replays, and the seeding SQL's shape."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import api_adapter
import run_bench
from wrk_result import WrkResult, combine, format_table, paired_ratios, parse_wrk

WRK_STDOUT = """Running 20s test @ http://127.0.0.1:4000
  2 threads and 32 connections
Requests/sec:   1500.00
BENCH_RESULT {"requests": 30000, "duration_us": 20000000, "connect": 0, "read": 2, \
"write": 0, "status": 3, "timeout": 1, "p50_us": 12500, "p90_us": 30000, \
"p99_us": 48000, "max_us": 90000, "mean_us": 15000.0}
"""


def _result(requests: int, p99_us: int = 48000) -> WrkResult:
    line = WRK_STDOUT.replace('"requests": 30000', f'"requests": {requests}')
    return parse_wrk(line.replace('"p99_us": 48000', f'"p99_us": {p99_us}'))


def test_parse_wrk_reads_the_json_line() -> None:
    r = parse_wrk(WRK_STDOUT)
    assert r.requests == 30000
    assert r.rps == pytest.approx(1500.0)
    assert (r.p50_ms, r.p99_ms) == (12.5, 48.0)
    assert r.status_errors == 3
    assert r.socket_errors == 3  # read + timeout
    assert r.errors == 6


def test_parse_wrk_without_result_line_fails_loudly() -> None:
    with pytest.raises(ValueError, match="BENCH_RESULT"):
        parse_wrk("Running 20s test\nunable to connect to 127.0.0.1:1\n")


def test_table_has_median_ratio_against_bare() -> None:
    api = [_result(24000), _result(20000), _result(28000)]
    bare = [_result(30000)] * 3
    ratios = paired_ratios(api, bare)
    assert ratios == pytest.approx([0.8, 2 / 3, 28 / 30])
    api = [replace(r, app_cpu_s=2.4, db_cpu_s=1.2, other_cpu=0.12) for r in api]
    bare = [replace(r, app_cpu_s=3.0, db_cpu_s=0.0) for r in bare]
    table = format_table([("get_note", combine(api), combine(bare), ratios)])
    api_line = next(line for line in table.splitlines() if line.startswith("get_note"))
    # 7.2 s of server CPU over 72,000 requests = 0.10 ms each; bare: 9 s / 90,000.
    assert api_line.split()[-6:] == ["0.10", "0.05", "12%", "0.67", "0.80", "(0.67-0.93)"]
    assert "bare" in table


def test_combine_adds_counts_and_takes_median_latency() -> None:
    merged = combine([_result(100, p99_us=10_000), _result(300, p99_us=90_000), _result(200)])
    assert merged.requests == 600
    assert merged.duration_s == pytest.approx(60.0)
    assert merged.p99_ms == 48.0
    assert merged.errors == 18


def test_request_file_lines(tmp_path: Path) -> None:
    clients = [run_bench.Client("a@example.com", "u-1", "tok-1")]
    notes = {"u-1": ["n-1", "n-2"]}
    api = run_bench.write_requests(tmp_path / "a", "get_note", "api", clients, notes, [])
    bare = run_bench.write_requests(tmp_path / "b", "get_note", "bare", clients, notes, [])
    assert api.read_text().splitlines() == [
        "GET\t/api/v1/notes/n-1\t\tAuthorization\tBearer tok-1",
        "GET\t/api/v1/notes/n-2\t\tAuthorization\tBearer tok-1",
    ]
    assert bare.read_text().splitlines()[0] == "GET\t/api/v1/notes/n-1\t\tX-User-Id\tu-1"
    login = run_bench.write_requests(tmp_path / "c", "sign_in", "api", clients, notes, ["x@y.z"])
    method, path, body = login.read_text().rstrip("\n").split("\t")
    assert (method, path) == ("POST", "/api/v1/auth/login")
    assert json.loads(body)["email"] == "x@y.z"


def test_seed_sql_is_set_based_and_parameterised() -> None:
    for statement in api_adapter.seed_sql():
        assert "generate_series" in statement
        assert "%(" in statement  # values are bound, never formatted in
    # Emails the seed writes are the ones the benchmark signs in with.
    assert "'bench' || lpad(n::text, 5, '0') || '@example.com'" in api_adapter.SEED_SQL[0]
    assert run_bench.EMAIL_FMT.format(42) == "bench00042@example.com"


def test_cpu_probe_counts_our_own_tree(tmp_path: Path) -> None:
    import os

    import cpu_probe

    assert cpu_probe.tree_ticks([os.getpid()]) > 0
    assert cpu_probe.busy_ticks() > 0
    probe = cpu_probe.Probe([os.getpid()], {"me": [os.getpid()]})
    probe.start()
    sum(i * i for i in range(2_000_000))  # our own work is not "other"
    sample = probe.stop()
    assert 0.0 <= sample.other <= 1.0
    assert sample.cpu_s["me"] > 0


def test_profile_layers_attribute_by_priority() -> None:
    from profile_layers import attribute, format_breakdown

    raw = "\n".join(
        [
            # JSON written by the log formatter is logging, not "json encode".
            "run (/v/gunicorn/arbiter.py:1);format (/s/innovate_api/logs.py:30);"
            "dumps (/py/json/__init__.py:231) 3",
            "run (/v/gunicorn/arbiter.py:1);execute (/v/psycopg/cursor.py:9) 5",
            "run (/v/gunicorn/arbiter.py:1);decode (/v/jwt/api_jwt.py:9) 2",
            "run (/v/gunicorn/workers/sync.py:1) 1",
        ]
    )
    counts = attribute(raw)
    assert counts["logging (JSON access log)"] == 3
    assert counts["db driver (psycopg)"] == 5
    assert counts["auth: JWT verify"] == 2
    assert counts["gunicorn (HTTP parse, socket)"] == 1
    table = format_breakdown({"api": counts}, rate=100, requests={"api": 10})
    assert table.splitlines()[-1].split() == ["total", "11.000"]


def test_perf_stat_csv_and_per_request_table() -> None:
    csv = (
        "# started on Wed Dec  2 03:00:00 2026\n\n"
        "2400.5,msec,task-clock,2400500000,100.00,1.2,CPUs utilized\n"
        "1200,,context-switches,2400500000,100.00,,\n"
        "<not counted>,,raw_syscalls:sys_enter,0,0.00,,\n"
    )
    events = ["task-clock", "context-switches", "raw_syscalls:sys_enter"]
    counts = run_bench.parse_perf_csv(csv, events)
    assert counts == {"task-clock": 2400.5, "context-switches": 1200.0}
    table = run_bench.format_counters({"bare": counts, "api": counts}, {"bare": 1200, "api": 600})
    ctx = next(line for line in table.splitlines() if line.startswith("context-switches"))
    assert ctx.split()[1:] == ["1.000", "2.000"]  # per request, each target's own count
    cpu = next(line for line in table.splitlines() if line.startswith("CPU ms"))
    assert cpu.split()[-2:] == ["2.000", "4.001"]


def test_server_pids_are_the_root_and_its_children() -> None:
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pids = run_bench.server_pids(os.getpid())
        assert pids[0] == os.getpid()
        assert child.pid in pids
    finally:
        child.kill()
        child.wait()


def test_instruction_totals_keep_the_counted_loops_in_order() -> None:
    import instructions

    dumps = [
        "events: Ir\nsummary: 812\ntotals: 812\n",  # a stray tiny callback
        "events: Ir\ntotals: 150000000\n",
        "events: Ir\ntotals: 110000000\n",
        "no totals line",
    ]
    assert instructions.parse_totals(dumps) == [150_000_000, 110_000_000]


def test_profiling_without_its_tool_stops_at_once_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_bench.shutil, "which", lambda name: None if "missing" in name else name)
    missing = str(tmp_path / "missing-py-spy")
    assert run_bench.main(["--profile", str(tmp_path), "--py-spy", missing]) == 2
    assert f"--profile needs py-spy ({missing} not found" in capsys.readouterr().err
    missing = str(tmp_path / "missing-perf")
    assert run_bench.main(["--profile", str(tmp_path), "--perf-stat", "--perf", missing]) == 2
    assert f"--perf-stat needs perf ({missing} not found" in capsys.readouterr().err
