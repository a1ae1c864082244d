"""checkov's kubernetes framework over what the chart renders, zero failed checks.

checkov's helm framework needs a helm binary and scans nothing without one (exit 0),
so the rendered manifests are scanned instead. checkov does not know Argo Rollouts'
kinds: the Rollout's pod template is also scanned as a Deployment and the smoke-test
Job of the AnalysisTemplate as a Job, so the same pod checks apply to them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from chart import ENVIRONMENTS, shadows

SKIPS_FILE = Path(__file__).resolve().parent / "checkov-skips.yaml"


@pytest.fixture(scope="module")
def report(
    rendered: dict[str, list[dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    checkov = os.environ.get("CHART_CHECKOV")
    if not checkov:
        pytest.fail("CHART_CHECKOV is not set: run through `make chart-test` (it installs checkov)")
    out = tmp_path_factory.mktemp("rendered")
    for env in ENVIRONMENTS:
        docs = rendered[env] + shadows(rendered[env])
        (out / f"{env}.yaml").write_text(
            yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8"
        )
    run = subprocess.run(  # noqa: S603 - fixed argv, checkov from our own venv
        [
            checkov,
            "--framework",
            "kubernetes",
            "-d",
            str(out),
            "--compact",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert isinstance(result, dict), run.stdout[:500]
    assert result["check_type"] == "kubernetes", run.stdout[:500]
    return result


def _resource(check: dict[str, Any]) -> str:
    kind, _namespace, name = check["resource"].split(".", 2)
    return f"{kind}/{name}"


def test_checkov_scanned_every_workload(report: dict[str, Any]) -> None:
    scanned = {
        _resource(c)
        for c in report["results"]["passed_checks"] + report["results"]["failed_checks"]
    }
    for expected in [
        "Deployment/innovate-api",
        "Job/innovate-api-migrate",
        "CronJob/innovate-api-purge",
        "Job/innovate-api-pre-promotion-smoke-test",
        "Service/innovate-api",
        "ServiceAccount/innovate-api",
    ]:
        assert expected in scanned, f"checkov did not scan {expected}"
    assert report["summary"]["parsing_errors"] == 0


def test_checkov_finds_nothing_but_the_documented_skips(report: dict[str, Any]) -> None:
    skips = yaml.safe_load(SKIPS_FILE.read_text(encoding="utf-8"))
    for check_id, skip in skips.items():
        assert len(skip["reason"].split()) >= 20, (
            f"{check_id}: the reason must explain the exception"
        )
    failures = {(c["check_id"], _resource(c)) for c in report["results"]["failed_checks"]}
    unexplained = sorted(
        f"{check_id} {resource} ({c['check_name']})"
        for c in report["results"]["failed_checks"]
        for check_id, resource in [(c["check_id"], _resource(c))]
        if resource not in skips.get(check_id, {}).get("resources", [])
    )
    assert unexplained == []
    stale = [
        f"{check_id} {resource}"
        for check_id, skip in skips.items()
        for resource in skip["resources"]
        if (check_id, resource) not in failures
    ]
    assert stale == [], "skips that no longer match a finding: remove them"
