"""Builds the whole estate into one CDK App: used by ``infra/app.py`` and the tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Stage

from innovate_infra.accounts.config import AccountsConfig, load_accounts_config
from innovate_infra.accounts.stacks import AccountStacks, build_account_stacks
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.config import EstateConfig
from innovate_infra.stages import EnvironmentStage

INFRA_DIR = Path(__file__).resolve().parents[2]

# Context that must not depend on who runs the synth (CDK CLI or `python app.py`):
# no version-reporting resource, and the same metadata either way.
FIXED_CONTEXT: dict[str, Any] = {
    "aws:cdk:version-reporting": False,
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    # CDK's own template validation: its default rules fail the synth, not just warn.
    "@aws-cdk/core:validateAgainstDefaultRules": True,
}


def load_context(infra_dir: Path = INFRA_DIR) -> dict[str, Any]:
    """The context the CDK CLI would pass: cdk.json's ``context`` plus cdk.context.json.

    ``python app.py`` does not read these files itself; merging them here makes the
    script and ``cdk synth`` produce identical templates.
    """
    context: dict[str, Any] = {}
    cdk_json = json.loads((infra_dir / "cdk.json").read_text(encoding="utf-8"))
    context.update(cdk_json.get("context", {}))
    context.update(json.loads((infra_dir / "cdk.context.json").read_text(encoding="utf-8")))
    return context


def create_app(outdir: Path | str | None = None, context: Mapping[str, Any] | None = None) -> App:
    return App(
        outdir=str(outdir) if outdir is not None else None,
        context=dict(context if context is not None else load_context()),
        post_cli_context=FIXED_CONTEXT,
        analytics_reporting=False,
        # CDK's built-in CloudFormation template validation, on whatever the environment says.
        builtin_cloud_formation_validation=True,
    )


def build_environment_stages(app: App, estate: EstateConfig) -> list[Stage]:
    """One stage per configured environment, in config order (dev, staging, prod)."""
    return [EnvironmentStage(app, estate=estate, env=env) for env in estate.environments.values()]


def build_account_stacks_of(
    app: App, estate: EstateConfig, accounts: AccountsConfig | None = None
) -> AccountStacks:
    """The management and security/logs account stacks (issue #4), at the app's top level.

    ``accounts`` defaults to ``config/accounts/accounts.yaml`` read against the estate's
    organization settings (account ids, regions, tag standard come from there).
    """
    if accounts is None:
        accounts = load_accounts_config(organization=estate.organization)
    return build_account_stacks(app, accounts)


def build_estate(
    app: App, estate: EstateConfig, accounts: AccountsConfig | None = None
) -> list[Stage]:
    """Everything the estate deploys, with the policy gates attached to the whole app:
    one stage per environment, then the management and security/logs account stacks.

    Extension point: stacks of later issues are added here, before ``enable_compliance``,
    so that the same cdk-nag packs, acknowledgments, checkov skips and tag checks cover
    them. Returns the environment stages.
    """
    stages = build_environment_stages(app, estate)
    build_account_stacks_of(app, estate, accounts)
    enable_compliance(app)
    return stages
