"""Builds the whole platform into one CDK App: used by ``infra/app.py`` and the tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App

from innovate_infra.compliance.checks import apply_suppressions, enable_compliance
from innovate_infra.compliance.suppressions import registry
from innovate_infra.config import ConfigError, ConfigIssue, PlatformConfig
from innovate_infra.config.loader import ACCOUNTS_FILE
from innovate_infra.naming import Naming
from innovate_infra.stacks.delivery.infrastructure import PipelineStage
from innovate_infra.stages import (
    AccountsStage,
    DeliveryStage,
    EnvironmentStage,
    InfrastructurePipelineStage,
)

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


# The qualifier every DefaultStackSynthesizer reads when none is passed: the bootstrap
# roles, bucket and version parameter the templates name (`cdk bootstrap --qualifier`).
BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"


def apply_bootstrap_qualifier(app: App, platform: PlatformConfig) -> None:
    """``guardrails.cdk_qualifier`` is the qualifier of every stack's synthesizer, so the
    roles the templates use are the ones the SCPs, the boundary and the permission sets
    name. Must run before any stage is added (context is fixed once children exist)."""
    qualifier = platform.accounts.guardrails.cdk_qualifier
    given = app.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT)
    if given is not None and given != qualifier:
        raise ConfigError(
            [
                ConfigIssue(
                    f"config/{ACCOUNTS_FILE}",
                    "guardrails.cdk_qualifier",
                    f"{qualifier!r} differs from the CDK context {BOOTSTRAP_QUALIFIER_CONTEXT}="
                    f"{given!r} (cdk.json or -c): keep one qualifier, in accounts.yaml",
                )
            ]
        )
    app.node.set_context(BOOTSTRAP_QUALIFIER_CONTEXT, qualifier)


def create_app(outdir: Path | str | None = None, context: Mapping[str, Any] | None = None) -> App:
    return App(
        outdir=str(outdir) if outdir is not None else None,
        context=dict(context if context is not None else load_context()),
        post_cli_context=FIXED_CONTEXT,
        analytics_reporting=False,
        # CDK's built-in CloudFormation template validation, on whatever the environment says.
        builtin_cloud_formation_validation=True,
    )


@dataclass(frozen=True)
class Platform:
    """What ``build_platform`` added to the app."""

    naming: Naming
    environments: list[EnvironmentStage]
    accounts: AccountsStage
    delivery: DeliveryStage
    pipeline: InfrastructurePipelineStage | None
    """None until ``delivery.source.connection_arn`` names a connection (docs/delivery.md)."""

    def stages(
        self,
    ) -> list[EnvironmentStage | AccountsStage | DeliveryStage | InfrastructurePipelineStage]:
        """Every stage of the app."""
        pipeline = [self.pipeline] if self.pipeline is not None else []
        return [*self.environments, self.accounts, self.delivery, *pipeline]


def build_platform(app: App, platform: PlatformConfig) -> Platform:
    """Everything the platform deploys, with the policy gates attached to the whole app:
    one stage per environment (config order: dev, staging, prod), the stage of the
    management and security/logs account stacks, the delivery stage and, once the GitHub
    connection exists, the infrastructure pipeline that deploys all of them.

    Extension point: stages and stacks of later issues are added here, before
    ``enable_compliance``, so that the same cdk-nag packs, acknowledgments, checkov skips
    and tag checks cover them (the pipeline stage, built last, gets them explicitly).
    """
    apply_bootstrap_qualifier(app, platform)
    naming = Naming(platform)
    environments = [
        EnvironmentStage(app, platform=platform, naming=naming, env=env)
        for env in platform.environments.values()
    ]
    accounts = AccountsStage(app, platform=platform, naming=naming)
    delivery = DeliveryStage(app, platform=platform, naming=naming)
    suppressions = registry(naming)
    # Before the pipeline: CDK Pipelines synthesizes each stage it adds, so every stage
    # must carry its aspects by then.
    enable_compliance(app, suppressions)
    pipeline = None
    connection = platform.delivery.source.connection_arn
    if connection is not None:
        # The same Stage objects: the pipeline deploys exactly what `make synth` builds.
        by_name = {stage.stage_name: stage for stage in environments}
        order: list[PipelineStage] = [
            PipelineStage(
                accounts,
                approval="Account-level change (organization, guardrails, "
                "identity, log archive, detection): review the diff, then approve.",
            ),
            *(
                PipelineStage(
                    stage,
                    approval=(
                        f"Deploy {name} to Production: check staging, then approve."
                        if platform.environments[name].account == "production"
                        else None
                    ),
                )
                for name, stage in by_name.items()
            ),
            PipelineStage(delivery, approval=None),
        ]
        pipeline = InfrastructurePipelineStage(
            app, platform=platform, naming=naming, connection_arn=connection, stages=order
        )
        apply_suppressions(pipeline, suppressions)
    return Platform(
        naming=naming,
        environments=environments,
        accounts=accounts,
        delivery=delivery,
        pipeline=pipeline,
    )
