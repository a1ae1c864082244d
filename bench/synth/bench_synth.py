"""Benchmark of `make synth`: wall time and peak memory of a full synthesis of every
environment (cdk-nag's three packs and CDK validation included).

Runs the same command as `make synth` (`python app.py`) into a fresh output
directory, samples the resident memory of the whole process tree (Python plus the
jsii Node.js runtime) every 20 ms, and prints one line per run plus the worst.
Budget: 60 s and 1.5 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS = 60.0
BUDGET_BYTES = 1.5 * 1024**3
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree_rss(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(_children(pid))
    return total


def run_once(infra_dir: Path) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        env = {
            **os.environ,
            "CDK_OUTDIR": outdir,
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=infra_dir, env=env, stdout=subprocess.DEVNULL
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        if proc.returncode != 0:
            raise SystemExit(f"synth failed with exit code {proc.returncode}")
        templates = len(list(Path(outdir).rglob("*.template.json")))
    return elapsed, peak, templates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--infra-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(f"bench-synth: {args.runs} full synths of every environment, {os.cpu_count()} CPUs")
    worst_time, worst_peak = 0.0, 0
    for run in range(1, args.runs + 1):
        elapsed, peak, templates = run_once(args.infra_dir)
        worst_time, worst_peak = max(worst_time, elapsed), max(worst_peak, peak)
        print(
            f"  run {run}: {elapsed:6.1f} s  peak RSS {peak / 1024**2:7.0f} MiB  "
            f"{templates} templates"
        )
    ok = worst_time <= BUDGET_SECONDS and worst_peak <= BUDGET_BYTES
    print(
        f"bench-synth: worst {worst_time:.1f} s (budget {BUDGET_SECONDS:.0f} s), "
        f"peak {worst_peak / 1024**2:.0f} MiB (budget {BUDGET_BYTES / 1024**2:.0f} MiB): "
        f"{'within budget' if ok else 'OVER BUDGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
