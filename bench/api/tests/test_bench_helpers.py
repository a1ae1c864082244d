"""Unit tests of the benchmark's pure helpers: wrk output parsing, the table, the
request files scenario.lua replays, and the seeding SQL's shape."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import api_adapter
import run_bench
from wrk_result import WrkResult, format_table, parse_wrk

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


def test_table_has_ratio_against_bare() -> None:
    table = format_table([("get_note", _result(24000), _result(30000))])
    api_line = next(line for line in table.splitlines() if line.startswith("get_note"))
    assert api_line.split()[-1] == "0.80"
    assert "bare" in table


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
