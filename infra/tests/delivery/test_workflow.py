"""The pull-request workflow: valid for actionlint, every action pinned to a commit SHA,
every job running a make target that exists (or is pending from another area)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.delivery.test_buildspecs import ROOT, make_targets

WORKFLOW = ROOT / ".github" / "workflows" / "pr.yml"


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).with_name("actionlint"))
    assert Path(found).is_file(), "actionlint is not installed (infra/requirements-dev.txt)"
    return found


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(  # noqa: S603
        [actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "runs_on:"))
    result = subprocess.run(  # noqa: S603
        [actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", str(broken)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0


def workflow() -> dict[str, object]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def test_every_action_is_pinned_to_a_full_commit_sha() -> None:
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text())
    assert uses
    for use in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use), use


def test_runs_on_pull_requests_read_only() -> None:
    data = workflow()
    assert list(data[True]) == ["pull_request"]  # YAML 1.1 reads `on` as True
    assert data["permissions"] == {"contents": "read"}


def test_lint_targets_exist() -> None:
    jobs = workflow()["jobs"]
    assert isinstance(jobs, dict)
    targets = jobs["lint"]["strategy"]["matrix"]["target"]
    assert {"api-lint", "infra-lint", "infra-check", "chart-lint", "web-lint"} <= set(targets)
    missing = set(targets) - make_targets()
    assert not missing, sorted(missing)
