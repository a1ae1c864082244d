"""deploy/scripts/lib.sh's Rollout helpers against a fake kubectl: an absent Rollout is
"no phase yet", any other read failure stops the wait at once (not at the timeout), and
a failed abort is reported while the rollback goes on."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.delivery.test_buildspecs import ROOT

LIB = ROOT / "deploy" / "scripts" / "lib.sh"


def run(tmp_path: Path, kubectl: str, snippet: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "kubectl"
    fake.write_text(f"#!/usr/bin/env bash\n{kubectl}\n", encoding="utf-8")
    fake.chmod(0o755)
    script = f'source "{LIB}"\nset +e\n{snippet}\n'
    return subprocess.run(  # noqa: S603
        ["bash", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "ROLLOUT_TIMEOUT_SECONDS": "30"},
        check=False,
        timeout=30,
    )


def test_phase_of_a_rollout_that_does_not_exist_yet_is_empty(tmp_path: Path) -> None:
    kubectl = (
        "echo 'Error from server (NotFound): rollouts.argoproj.io \"x\" not found' >&2; exit 1"
    )
    out = run(tmp_path, kubectl, 'p=$(rollout_phase); echo "rc=$? phase=[$p]"')
    assert out.stdout.strip() == "rc=0 phase=[]"


def test_wait_stops_at_once_when_the_rollout_cannot_be_read(tmp_path: Path) -> None:
    kubectl = "echo 'error: You must be logged in to the server (Unauthorized)' >&2; exit 1"
    out = run(tmp_path, kubectl, 'wait_for_phase Healthy; echo "rc=$?"')
    assert out.stdout.strip().endswith("rc=1")
    assert "cannot read innovate-api in innovate" in out.stderr
    assert "Unauthorized" in out.stderr


def test_wait_returns_when_the_phase_is_reached(tmp_path: Path) -> None:
    out = run(tmp_path, "printf Healthy", 'wait_for_phase Paused Healthy; echo "rc=$?"')
    assert out.stdout.splitlines() == ["rollout: Healthy", "rc=0"]


def test_degraded_fails_the_wait(tmp_path: Path) -> None:
    out = run(tmp_path, "printf Degraded", 'wait_for_phase Healthy; echo "rc=$?"')
    assert out.stdout.strip() == "rc=1"
    assert "Degraded" in out.stderr


def test_a_failed_abort_is_reported_and_does_not_stop_the_rollback(tmp_path: Path) -> None:
    out = run(tmp_path, "exit 1", 'abort_rollout; echo "rc=$? next step runs"')
    assert out.stdout.strip() == "rc=0 next step runs"
    assert "abort of innovate-api failed; rolling the release back anyway" in out.stderr
