"""Shared fixtures: the platform is loaded once and the whole app (every environment
stage and the accounts stage, with cdk-nag and the suppressions registry on, as
``make synth`` builds it) is synthesized ONCE per test session."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from innovate_infra.app import INFRA_DIR, Platform, build_platform, create_app
from innovate_infra.config import PlatformConfig, load_platform
from innovate_infra.naming import Naming
from innovate_infra.stages import AccountsStage

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

CONFIG_DIR = INFRA_DIR / "config"


@dataclass
class Synth:
    app: App
    platform: PlatformConfig
    built: Platform
    outdir: Path

    @property
    def accounts(self) -> AccountsStage:
        return self.built.accounts

    def template(self, stack: cdk.Stack) -> Template:
        return Template.from_stack(stack)

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.rglob("*.template.json"))

    def templates(self) -> dict[str, dict[str, Any]]:
        """Every template, keyed by stack name (e.g. innovate-dev-network)."""
        stacks = [s for stage in self.built.stages() for s in stage.stacks()]
        return {
            stack.stack_name: json.loads(
                (
                    self.outdir / f"assembly-{cdk.Stage.of(stack).stage_name}" / stack.template_file
                ).read_text(encoding="utf-8")
            )
            for stack in stacks
        }


def synthesize(platform: PlatformConfig, outdir: Path) -> Synth:
    """What ``infra/app.py`` does, into ``outdir``."""
    app = create_app(outdir=outdir)
    built = build_platform(app, platform)
    app.synth(validate_on_synthesis=True)
    return Synth(app, platform, built, outdir)


def with_security_lake(platform: PlatformConfig) -> PlatformConfig:
    """The platform with Security Lake switched on (and no environments: the lake is an
    account-level concern, and the environments are covered by the session synth). It
    also covers delivery before the GitHub connection exists (``connection_arn: null``:
    the delivery stack creates the connection, no infrastructure pipeline yet)."""
    accounts = platform.accounts
    lake = accounts.security_lake.model_copy(update={"enabled": True})
    delivery = platform.delivery
    source = delivery.source.model_copy(update={"connection_arn": None})
    return platform.model_copy(
        update={
            "accounts": accounts.model_copy(update={"security_lake": lake}),
            "environments": {},
            "delivery": delivery.model_copy(update={"source": source}),
        }
    )


@pytest.fixture(scope="session")
def platform() -> PlatformConfig:
    return load_platform(CONFIG_DIR)


@pytest.fixture(scope="session")
def naming(platform: PlatformConfig) -> Naming:
    return Naming(platform)


@pytest.fixture(scope="session")
def synth(platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The whole app as committed (Security Lake off)."""
    assert platform.accounts.security_lake.enabled is False
    return synthesize(platform, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def synth_lake(platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The same build with the Security Lake switch on."""
    return synthesize(with_security_lake(platform), tmp_path_factory.mktemp("lake-out"))


@pytest.fixture(scope="session")
def templates(synth: Synth) -> dict[str, dict[str, Any]]:
    """Every template of the session synth, keyed by stack name."""
    return synth.templates()


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of infra/config/ that a test may edit."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target
