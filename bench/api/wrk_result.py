"""Parse wrk's output and format the benchmark table (pure functions, unit-tested)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, replace

MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int
    socket_errors: int
    # CPU seconds the server's process tree and PostgreSQL used meanwhile (cpu_probe).
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    other_cpu: float = 0.0  # share of the machine used by everything else

    @property
    def app_ms(self) -> float:
        return self.app_cpu_s * 1000 / self.requests if self.requests else 0.0

    @property
    def db_ms(self) -> float:
        return self.db_cpu_s * 1000 / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors


def parse_wrk(stdout: str) -> WrkResult:
    """Read the JSON line that scenario.lua's done() prints."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise ValueError("wrk printed no BENCH_RESULT line:\n" + stdout[-2000:])
    return WrkResult(
        requests=int(raw["requests"]),
        duration_s=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1e3,
        p90_ms=raw["p90_us"] / 1e3,
        p99_ms=raw["p99_us"] / 1e3,
        max_ms=raw["max_us"] / 1e3,
        status_errors=int(raw["status"]),
        socket_errors=sum(int(raw[k]) for k in ("connect", "read", "write", "timeout")),
    )


def combine(rounds: list[WrkResult]) -> WrkResult:
    """Several rounds of one target as one result: requests and errors add up, the
    latency percentiles are the median round's (wrk gives no histogram to merge)."""
    return replace(
        rounds[0],
        requests=sum(r.requests for r in rounds),
        duration_s=sum(r.duration_s for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        p90_ms=statistics.median(r.p90_ms for r in rounds),
        p99_ms=statistics.median(r.p99_ms for r in rounds),
        max_ms=max(r.max_ms for r in rounds),
        status_errors=sum(r.status_errors for r in rounds),
        socket_errors=sum(r.socket_errors for r in rounds),
        app_cpu_s=sum(r.app_cpu_s for r in rounds),
        db_cpu_s=sum(r.db_cpu_s for r in rounds),
        other_cpu=statistics.fmean(r.other_cpu for r in rounds),
    )


def paired_ratios(api: list[WrkResult], bare: list[WrkResult]) -> list[float]:
    """API/bare req/s per round. Rounds run back to back, so a neighbour's burst of CPU
    hits a pair rather than one side; the median pair is the robust figure."""
    return [a.rps / b.rps for a, b in zip(api, bare, strict=True) if b.rps]


def format_table(rows: list[tuple[str, WrkResult, WrkResult | None, list[float]]]) -> str:
    """Rows of (endpoint, api, bare, per-round ratios): one line per API endpoint plus its
    bare reference. Throughput ratio is the median of paired rounds (min-max after it);
    CPU per request (server processes, PostgreSQL) is less sensitive to a busy neighbour
    than req/s, and "other" says how busy that neighbour was."""
    header = (
        f"{'endpoint':<12} {'target':<6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'app ms/req':>10} {'db ms/req':>9} {'other':>6} {'CPU vs bare':>11}"
        "  req/s vs bare"
    )
    lines = [header, "-" * (len(header) + 6)]
    for name, api, bare, ratios in rows:
        ratio = "n/a"
        if ratios:
            ratio = f"{statistics.median(ratios):.2f}"
            if len(ratios) > 1:
                ratio += f" ({min(ratios):.2f}-{max(ratios):.2f})"
        cpu = cpu_ratio(api, bare) if bare is not None else None
        lines.append(_row(name, "api", api, f"{cpu:.2f}" if cpu else "n/a", ratio))
        if bare is not None:
            lines.append(_row("", "bare", bare, "", ""))
    return "\n".join(lines)


def cpu_ratio(api: WrkResult, bare: WrkResult) -> float | None:
    """Bare CPU per request / API CPU per request (server + PostgreSQL): the cost of the
    API's layers as the req/s ratio would be on a machine with nothing else running."""
    api_ms = api.app_ms + api.db_ms
    return (bare.app_ms + bare.db_ms) / api_ms if api_ms else None


def _row(name: str, target: str, r: WrkResult, cpu: str, ratio: str) -> str:
    return (
        f"{name:<12} {target:<6} {r.rps:>7.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
        f"{r.errors:>6d} {r.app_ms:>10.2f} {r.db_ms:>9.2f} {r.other_cpu:>6.0%} {cpu:>11}"
        f"  {ratio}"
    ).rstrip()
