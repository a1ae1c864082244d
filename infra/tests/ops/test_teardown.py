"""``make destroy ENV=...`` refuses prod and anything that retains data."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from innovate_infra.app import INFRA_DIR
from innovate_infra.config import PlatformConfig
from innovate_infra.ops.__main__ import main
from innovate_infra.ops.teardown import Refused, check


def test_dev_and_staging_may_be_destroyed(platform: PlatformConfig) -> None:
    assert check(platform, "dev") == "dev/*"
    assert check(platform, "staging") == "staging/*"


def test_prod_is_refused(platform: PlatformConfig) -> None:
    with pytest.raises(Refused, match="refusing to destroy 'prod'"):
        check(platform, "prod")


def test_an_unknown_environment_is_refused(platform: PlatformConfig) -> None:
    with pytest.raises(Refused, match="unknown environment 'qa'"):
        check(platform, "qa")


def test_an_environment_that_retains_data_is_refused(platform: PlatformConfig) -> None:
    envs = dict(platform.environments)
    envs["staging"] = envs["staging"].model_copy(update={"retain_stateful_resources": True})
    with pytest.raises(Refused, match="retain_stateful_resources"):
        check(platform.model_copy(update={"environments": envs}), "staging")


def test_the_cli_exits_non_zero_for_prod(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["destroy-guard", "prod"]) == 2
    assert "refusing to destroy 'prod'" in capsys.readouterr().err


def test_make_destroy_refuses_prod_before_touching_aws() -> None:
    result = subprocess.run(  # noqa: S603
        [shutil.which("make") or "make", "-s", "destroy", "ENV=prod"],
        cwd=INFRA_DIR.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refusing to destroy 'prod'" in result.stderr
    assert "cdk" not in result.stdout
