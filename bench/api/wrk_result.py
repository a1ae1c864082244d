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
    )


def paired_ratios(api: list[WrkResult], bare: list[WrkResult]) -> list[float]:
    """API/bare req/s per round. Rounds run back to back, so a neighbour's burst of CPU
    hits a pair rather than one side; the median pair is the robust figure."""
    return [a.rps / b.rps for a, b in zip(api, bare, strict=True) if b.rps]


def format_table(
    rows: list[tuple[str, WrkResult, WrkResult | None, list[float], float | None]],
) -> str:
    """Rows of (endpoint, api, bare, per-round ratios, CPU share used by other processes):
    one line per API endpoint plus its bare reference, with the median API/bare req/s
    ratio, its spread over the rounds, and how disturbed the machine was."""
    header = (
        f"{'endpoint':<16} {'target':<6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'vs bare':>8}  {'(rounds)':<11} {'other CPU':>9}"
    )
    lines = [header, "-" * len(header)]
    for name, api, bare, ratios, other in rows:
        ratio, spread = "n/a", ""
        if ratios:
            ratio = f"{statistics.median(ratios):.2f}"
            spread = f"({min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
        noise = f"{other:.0%}" if other is not None else ""
        lines.append(_row(name, "api", api, ratio) + f"  {spread:<11} {noise:>9}")
        if bare is not None:
            lines.append(_row("", "bare", bare, ""))
    return "\n".join(lines)


def _row(name: str, target: str, r: WrkResult, ratio: str) -> str:
    return (
        f"{name:<16} {target:<6} {r.rps:>9.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
        f"{r.errors:>7d} {ratio:>8}"
    )
