"""Shared fixtures: the accounts config and the synthesized account stacks, built the
way ``make synth`` builds them (``estate.create_app`` with the cdk.json context,
``estate.build_account_stacks_of``, ``enable_compliance``: cdk-nag AwsSolutions,
NIST 800-53 r5 and HIPAA Security as blocking validation plugins plus the estate's
single registry of acknowledgments and checkov skips, ``compliance/suppressions.py``),
so any unacknowledged finding makes synthesis itself fail. The environment stages are
left out to keep these tests fast; ``test_estate_integration.py`` covers the whole app."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from innovate_infra.accounts.config import AccountsConfig, load_accounts_config
from innovate_infra.accounts.stacks import AccountStacks, build_account_stacks
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.estate import create_app

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synthesized:
    config: AccountsConfig
    stacks: AccountStacks
    outdir: Path

    def template(self, stack: cdk.Stack) -> Template:
        return Template.from_stack(stack)

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def with_security_lake(config: AccountsConfig, enabled: bool) -> AccountsConfig:
    lake = config.security_lake.model_copy(update={"enabled": enabled})
    return config.model_copy(update={"security_lake": lake})


def synthesize(config: AccountsConfig, outdir: Path) -> Synthesized:
    app = create_app(outdir=outdir)
    stacks = build_account_stacks(app, config)
    enable_compliance(app)
    app.synth(validate_on_synthesis=True)
    return Synthesized(config=config, stacks=stacks, outdir=outdir)


@pytest.fixture(scope="session")
def config() -> AccountsConfig:
    return load_accounts_config()


@pytest.fixture(scope="session")
def synth(config: AccountsConfig, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The default estate: Security Lake off, as in the committed config."""
    assert config.security_lake.enabled is False
    return synthesize(config, tmp_path_factory.mktemp("accounts-out"))


@pytest.fixture(scope="session")
def synth_lake(config: AccountsConfig, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(with_security_lake(config, True), tmp_path_factory.mktemp("lake-out"))
