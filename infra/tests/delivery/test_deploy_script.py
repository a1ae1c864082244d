"""deploy/scripts/deploy.sh end to end against fake aws, helm, kubectl and curl that log
their calls: the release reads the environment's parameters, upgrades with the commit and
digest, promotes a paused preview, and on a degraded Rollout aborts it and rolls the
release back; the publish step uploads to the bucket in us-east-1, invalidates and
smoke-tests, failing when the API reports another build."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.delivery.test_buildspecs import ROOT

DEPLOY = ROOT / "deploy" / "scripts" / "deploy.sh"
SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32

# aws: credentials work; each SSM parameter answers "<key>-value"; everything is logged.
AWS = r"""echo "aws $*" >> "$CALLS"
case "$1 $2" in
  "sts get-caller-identity") echo arn:aws:sts::333333333333:assumed-role/x/y ;;
  "ssm get-parameter") for a in "$@"; do case "$a" in /*) echo "${a##*/}-value" ;; esac; done ;;
esac
exit 0"""


def fake(bin_dir: Path, name: str, body: str) -> None:
    tool = bin_dir / name
    tool.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    tool.chmod(0o755)


def deploy(
    tmp_path: Path, phase: str, *, kubectl: str = "printf Healthy", curl: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    calls.write_text("", encoding="utf-8")
    fake(bin_dir, "aws", AWS)
    fake(bin_dir, "helm", 'echo "helm $*" >> "$CALLS"')
    fake(bin_dir, "kubectl", f'echo "kubectl $*" >> "$CALLS"\n{kubectl}')
    fake(bin_dir, "curl", f'echo "curl $*" >> "$CALLS"\n{curl or "exit 0"}')
    web = tmp_path / "dist"
    web.mkdir(exist_ok=True)
    (web / "index.html").write_text("<!doctype html>", encoding="utf-8")
    result = subprocess.run(  # noqa: S603
        ["bash", str(DEPLOY), phase],  # noqa: S607
        capture_output=True,
        text=True,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "CALLS": str(calls),
            "PROJECT": "innovate",
            "ENV": "dev",
            "DEPLOY_REGION": "eu-west-1",
            "GIT_SHA": SHA,
            "IMAGE_DIGEST": DIGEST,
            "IMAGE_REPOSITORY_URI": "333333333333.dkr.ecr.eu-west-1.amazonaws.com/innovate-api",
            "WEB_DIST": str(web),
            "ROLLOUT_TIMEOUT_SECONDS": "30",
        },
        check=False,
        timeout=60,
    )
    return result, calls.read_text(encoding="utf-8").splitlines()


def test_release_upgrades_with_the_commit_and_digest_and_promotes(tmp_path: Path) -> None:
    # Paused (analysis passed, waiting) until the promotion patch, then Healthy.
    kubectl = (
        'case "$*" in *"spec"*paused*) touch "$CALLS.promoted" ;; '
        '*jsonpath*) if [ -f "$CALLS.promoted" ]; then printf Healthy; else printf Paused; fi ;; '
        "esac"
    )
    result, calls = deploy(tmp_path, "release", kubectl=kubectl)
    assert result.returncode == 0, result.stderr
    [upgrade] = [c for c in calls if c.startswith("helm upgrade --install innovate-api")]
    for setting in (
        f"image.tag={SHA}",
        f"image.digest={DIGEST}",
        "targetGroupBinding.targetGroupARN=target-group-arn-value",
        "database.masterSecretId=database-master-secret-id-value",
        "jwtSecret.secretId=jwt-secret-id-value",
    ):
        assert f"--set {setting}" in upgrade, setting
    assert "-f " + str(ROOT / "deploy/charts/innovate-api/values-dev.yaml") in upgrade
    assert any("patch rollout innovate-api --type merge" in c for c in calls)
    # The release never touches the SPA or CloudFront: that is the publish step's.
    assert not any(c.startswith(("aws s3", "aws cloudfront")) for c in calls)
    assert not any("helm rollback" in c for c in calls)


def test_a_degraded_release_is_aborted_and_rolled_back(tmp_path: Path) -> None:
    result, calls = deploy(tmp_path, "release", kubectl="printf Degraded")
    assert result.returncode != 0
    assert "Degraded" in result.stderr
    upgrade = next(i for i, c in enumerate(calls) if c.startswith("helm upgrade"))
    abort = next(i for i, c in enumerate(calls) if '"abort":true' in c)
    rollback = next(i for i, c in enumerate(calls) if c.startswith("helm rollback innovate-api 0"))
    assert upgrade < abort < rollback


def test_publish_uploads_to_the_edge_region_invalidates_and_smoke_tests(tmp_path: Path) -> None:
    result, calls = deploy(tmp_path, "publish", curl=f'echo "{{\\"build\\": \\"{SHA}\\"}}"')
    assert result.returncode == 0, result.stderr
    syncs = [c for c in calls if c.startswith(("aws s3 sync", "aws s3 cp"))]
    assert len(syncs) == 2
    assert all("s3://spa-bucket-name-value/" in c and "--region us-east-1" in c for c in syncs)
    invalidate = "aws cloudfront create-invalidation --distribution-id spa-distribution-id-value"
    assert any(c.startswith(invalidate) for c in calls)
    edge = [c for c in calls if c.startswith("aws ssm get-parameter")]
    assert edge
    assert all("--region us-east-1" in c for c in edge)
    assert any("api-url-value/api/v1/version" in c for c in calls)
    # No cluster tools in the publish step.
    assert not any(c.startswith(("helm", "kubectl")) for c in calls)


def test_publish_fails_when_the_api_reports_another_build(tmp_path: Path) -> None:
    result, _ = deploy(tmp_path, "publish", curl='echo "{\\"build\\": \\"0000\\"}"')
    assert result.returncode != 0
    assert f"does not report {SHA}" in result.stderr
