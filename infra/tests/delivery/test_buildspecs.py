"""deploy/: the buildspecs call make targets that exist, and the make targets for people
fail clearly without their tools, credentials or arguments (offline: no AWS, no cluster)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BUILDSPECS = ROOT / "deploy" / "buildspecs"
MAKE_CALL = re.compile(r"(?:^|[;&|(]\s*|\$\()\s*make\s+(?:-s\s+)?([a-z][a-z0-9-]*)")


def make_targets() -> set[str]:
    """Every target the Makefile tree defines (make's own database, nothing run)."""
    out = subprocess.run(  # noqa: S603
        ["make", "-pRrqn", "-C", str(ROOT)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {m.group(1) for m in re.finditer(r"^([a-zA-Z][\w.-]*):(?!=)", out, re.MULTILINE)}


def commands_of(spec: dict[str, object]) -> list[str]:
    phases = spec.get("phases", {})
    assert isinstance(phases, dict)
    return [c for phase in phases.values() for c in phase.get("commands", [])]


@pytest.mark.parametrize("name", ["test", "image", "web", "tools", "deploy", "publish"])
def test_buildspec_is_valid_and_calls_existing_make_targets(name: str) -> None:
    spec = yaml.safe_load((BUILDSPECS / f"{name}.yml").read_text())
    assert spec["version"] == 0.2
    commands = commands_of(spec)
    called = [m.group(1) for c in commands for m in MAKE_CALL.finditer(c)]
    assert called, f"{name}.yml runs no make target"
    missing = set(called) - make_targets()
    assert not missing, f"{name}.yml calls make targets that do not exist: {sorted(missing)}"
    # Everything CodeBuild runs is a make target (the PostgreSQL server package aside).
    for command in commands:
        assert command.lstrip().startswith(("make ", "export ", "dnf install ")), command


def test_image_build_exports_its_tag_and_never_uses_latest() -> None:
    spec = yaml.safe_load((BUILDSPECS / "image.yml").read_text())
    assert spec["env"]["exported-variables"] == ["IMAGE_TAG", "IMAGE_DIGEST"]
    assert not [c for c in commands_of(spec) if "latest" in c]
    script = (ROOT / "deploy" / "scripts" / "image.sh").read_text()
    # The one tag the build writes and pushes is the checked IMAGE_TAG.
    assert re.findall(r'-t "([^"]+)"', script) == ["$IMAGE_REPOSITORY_URI:$IMAGE_TAG"]
    assert re.findall(r'docker push "([^"]+)"', script) == ["$IMAGE_REPOSITORY_URI:$IMAGE_TAG"]


def test_test_stage_reports_junit_to_the_report_group() -> None:
    spec = yaml.safe_load((BUILDSPECS / "test.yml").read_text())
    assert spec["reports"]["test-reports"]["file-format"] == "JUNITXML"
    assert (
        spec["env"]["variables"]["REPORTS_DIR"] == spec["reports"]["test-reports"]["base-directory"]
    )


def run_make(*args: str, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": path, "HOME": os.environ.get("HOME", str(ROOT)), **env}
    return subprocess.run(  # noqa: S603
        ["make", "-s", "-C", str(ROOT), *args],  # noqa: S607
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )


@pytest.fixture
def bare_path(tmp_path: Path) -> str:
    """A PATH with the shell basics but no aws, kubectl, helm or docker."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sed", "make", "env", "dirname", "cat", "date", "mktemp", "grep", "rm"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32


def test_deploy_names_a_missing_or_unknown_environment(bare_path: str) -> None:
    result = run_make("deploy", path=bare_path)
    assert result.returncode != 0
    assert "ENV is required" in result.stderr
    result = run_make("deploy", "ENV=qa", path=bare_path)
    assert "ENV=qa is not one of: dev staging prod" in result.stderr


def test_deploy_refuses_latest_and_names_missing_tools(bare_path: str) -> None:
    result = run_make("deploy", "ENV=dev", "GIT_SHA=latest", path=bare_path)
    assert result.returncode != 0
    assert "'latest' is never deployed" in result.stderr
    result = run_make("deploy", "ENV=dev", f"GIT_SHA={SHA}", "IMAGE_DIGEST=latest", path=bare_path)
    assert "IMAGE_DIGEST is required" in result.stderr
    result = run_make(
        "deploy", "ENV=dev", f"GIT_SHA={SHA}", f"IMAGE_DIGEST={DIGEST}", path=bare_path,
        IMAGE_REPOSITORY_URI="r/innovate-api",
    )  # fmt: skip
    assert result.returncode != 0
    assert "missing tools: aws kubectl helm" in result.stderr


def test_publish_names_a_missing_bundle_and_tools(bare_path: str, tmp_path: Path) -> None:
    result = run_make(
        "deploy-publish", "ENV=dev", f"GIT_SHA={SHA}", f"WEB_DIST={tmp_path}", path=bare_path
    )
    assert result.returncode != 0
    assert f"no SPA bundle at {tmp_path}" in result.stderr
    (tmp_path / "index.html").write_text("<!doctype html>")
    result = run_make(
        "deploy-publish", "ENV=dev", f"GIT_SHA={SHA}", f"WEB_DIST={tmp_path}", path=bare_path
    )
    assert result.returncode != 0
    # The publish step needs no cluster tools: only the AWS CLI and curl.
    assert "missing tools: aws curl" in result.stderr


def test_installing_the_deploy_tools_needs_their_directory(bare_path: str) -> None:
    result = run_make("install-deploy-tools", path=bare_path)
    assert result.returncode == 2
    assert "TOOLS_FROM=<dir with helm and kubectl> is required" in result.stderr


def fake_tool(bin_dir: Path, name: str, script: str = "exit 1") -> None:
    tool = bin_dir / name
    tool.write_text(f"#!/bin/sh\n{script}\n")
    tool.chmod(0o755)


def test_deploy_and_rollback_fail_clearly_without_credentials(bare_path: str) -> None:
    bin_dir = Path(bare_path)
    # The tools exist; the aws CLI finds no credentials (as on a laptop without a sign-in).
    fake_tool(bin_dir, "aws", "echo 'Unable to locate credentials' >&2; exit 255")
    for tool in ("kubectl", "helm", "curl"):
        fake_tool(bin_dir, tool)
    web = bin_dir.parent / "dist"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html>")
    chart = ROOT / "deploy" / "charts" / "innovate-api"
    deploy_args = (
        "deploy",
        "ENV=dev",
        f"GIT_SHA={SHA}",
        f"IMAGE_DIGEST={DIGEST}",
        f"WEB_DIST={web}",
    )
    if not (chart / "values-dev.yaml").is_file():
        result = run_make(*deploy_args, path=bare_path, IMAGE_REPOSITORY_URI="r/innovate-api")
        assert "the chart is missing" in result.stderr or "no values file for dev" in result.stderr
    else:
        result = run_make(*deploy_args, path=bare_path, IMAGE_REPOSITORY_URI="r/innovate-api")
        assert "no usable AWS credentials" in result.stderr
    assert result.returncode != 0
    result = run_make(
        "deploy-publish", "ENV=dev", f"GIT_SHA={SHA}", f"WEB_DIST={web}", path=bare_path
    )
    assert result.returncode != 0
    assert "no usable AWS credentials" in result.stderr
    result = run_make("rollback", "ENV=prod", path=bare_path)
    assert result.returncode != 0
    assert "no usable AWS credentials" in result.stderr
    result = run_make("rollback", "ENV=prod", "REVISION=abc", path=bare_path)
    assert "REVISION=abc is not a Helm revision number" in result.stderr


def test_image_tag_is_the_sha_or_a_dated_rebuild_tag(bare_path: str) -> None:
    assert run_make("image-tag", f"GIT_SHA={SHA}", path=bare_path).stdout.strip() == SHA
    rebuild = run_make("image-tag", f"GIT_SHA={SHA}", "REBUILD=true", path=bare_path).stdout.strip()
    assert re.fullmatch(rf"{SHA}-rebuild-\d{{12}}", rebuild)
    result = run_make("image-tag", "GIT_SHA=main", path=bare_path)
    assert result.returncode != 0
    assert "GIT_SHA must be the 40-character commit id" in result.stderr
