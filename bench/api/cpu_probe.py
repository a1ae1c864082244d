"""How much CPU did processes outside the benchmark use during a run? (Linux /proc)

On a shared 2-core machine a neighbour's test suite can halve the figures; the table
prints this next to each endpoint so a disturbed run is visible instead of believed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime + stime + cutime + cstime) of one process, in clock ticks."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), sum(int(f) for f in fields[11:15])


def _snapshot() -> dict[int, tuple[int, int]]:
    stats: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = st
    return stats


def tree_ticks(roots: list[int], stats: dict[int, tuple[int, int]] | None = None) -> int:
    """CPU ticks of the roots and all their live descendants (reaped children are in
    their parent's cutime/cstime, so nothing is counted twice or lost)."""
    stats = _snapshot() if stats is None else stats
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo, seen = 0, [r for r in roots if r in stats], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


def busy_ticks() -> int:
    """Busy ticks of the whole machine (all CPUs) since boot, steal included."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # irq/softirq are left out: loopback traffic is partly accounted there, not to us.
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = fields[:8]
    return user + nice + system + steal


@dataclass
class Sample:
    other: float  # share of all CPUs used by processes outside ours (and steal)
    cpu_s: dict[str, float]  # CPU seconds of each named process tree


@dataclass
class Probe:
    """start() before and stop() after a run. ``ours`` are the roots of everything the
    benchmark runs (excluded from "other"); ``named`` trees get their CPU time reported,
    e.g. {"app": [gunicorn master], "db": [postmaster]}."""

    ours: list[int]
    named: dict[str, list[int]] = field(default_factory=dict)
    _t0: float = 0.0
    _busy0: int = 0
    _ticks0: dict[str, int] = field(default_factory=dict)

    def _ticks(self) -> dict[str, int]:
        stats = _snapshot()
        out = {name: tree_ticks(roots, stats) for name, roots in self.named.items()}
        out[""] = tree_ticks(self.ours, stats)
        return out

    def start(self) -> None:
        self._t0, self._busy0, self._ticks0 = time.monotonic(), busy_ticks(), self._ticks()

    def stop(self) -> Sample:
        elapsed = time.monotonic() - self._t0
        busy, ticks = busy_ticks() - self._busy0, self._ticks()
        delta = {k: v - self._ticks0.get(k, 0) for k, v in ticks.items()}
        capacity = elapsed * _TICK * (os.cpu_count() or 1)
        other = max(0.0, min(1.0, (busy - delta.pop("")) / capacity)) if capacity else 0.0
        return Sample(other, {k: v / _TICK for k, v in delta.items()})
