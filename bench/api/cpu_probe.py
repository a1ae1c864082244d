"""How much CPU did processes outside the benchmark use during a run? (Linux /proc)

On a shared 2-core machine a neighbour's test suite can halve the figures; the table
prints this next to each endpoint so a disturbed run is visible instead of believed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
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


def tree_ticks(roots: list[int]) -> int:
    """CPU ticks of the roots and all their live descendants (reaped children are in
    their parent's cutime/cstime, so nothing is counted twice or lost)."""
    stats: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = st
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
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq + steal


@dataclass
class Probe:
    """Call start() before and stop() after a run: the share of all CPUs that other
    processes (or the hypervisor, as steal) used meanwhile."""

    roots: list[int]
    _t0: float = 0.0
    _busy0: int = 0
    _ours0: int = 0

    def start(self) -> None:
        self._t0, self._busy0, self._ours0 = time.monotonic(), busy_ticks(), tree_ticks(self.roots)

    def stop(self) -> float:
        elapsed = time.monotonic() - self._t0
        other = (busy_ticks() - self._busy0) - (tree_ticks(self.roots) - self._ours0)
        capacity = elapsed * _TICK * (os.cpu_count() or 1)
        return max(0.0, min(1.0, other / capacity)) if capacity else 0.0
