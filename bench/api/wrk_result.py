"""Parse wrk's output and format the benchmark table (pure functions, unit-tested)."""

from __future__ import annotations

import json
from dataclasses import dataclass

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


def format_table(rows: list[tuple[str, WrkResult, WrkResult | None]]) -> str:
    """Rows of (endpoint, api result, bare result): one line per API endpoint plus its
    bare reference, and the API/bare requests-per-second ratio."""
    header = (
        f"{'endpoint':<16} {'target':<6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'vs bare':>8}"
    )
    lines = [header, "-" * len(header)]
    for name, api, bare in rows:
        ratio = f"{api.rps / bare.rps:.2f}" if bare and bare.rps else "n/a"
        lines.append(_row(name, "api", api, ratio))
        if bare is not None:
            lines.append(_row("", "bare", bare, ""))
    return "\n".join(lines)


def _row(name: str, target: str, r: WrkResult, ratio: str) -> str:
    return (
        f"{name:<16} {target:<6} {r.rps:>9.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
        f"{r.errors:>7d} {ratio:>8}"
    )
