"""``guardrails.cdk_qualifier`` is the qualifier of every stack's synthesizer: the roles the
templates deploy with are the ones the SCPs, the boundary and the permission sets name."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from innovate_infra.app import BOOTSTRAP_QUALIFIER_CONTEXT, apply_bootstrap_qualifier, create_app
from innovate_infra.config import ConfigError, PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth


def _with_qualifier(platform: PlatformConfig, qualifier: str) -> PlatformConfig:
    a = platform.accounts
    guardrails = a.guardrails.model_copy(update={"cdk_qualifier": qualifier})
    return platform.model_copy(update={"accounts": a.model_copy(update={"guardrails": guardrails})})


def test_every_stack_of_the_app_uses_the_configured_qualifier(synth: Synth) -> None:
    qualifier = synth.platform.accounts.guardrails.cdk_qualifier
    stacks = [s for stage in synth.built.environments for s in stage.stacks()]
    stacks += synth.accounts.stacks()
    for stack in stacks:
        assert stack.synthesizer.bootstrap_qualifier == qualifier, stack.stack_name


def test_a_changed_qualifier_changes_the_deploy_roles_and_the_policies(
    platform: PlatformConfig,
) -> None:
    changed = _with_qualifier(platform, "abc12")
    app = create_app()
    apply_bootstrap_qualifier(app, changed)
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account="333333333333", region="eu-west-1"))
    cdk.CfnResource(stack, "R", type="AWS::SNS::Topic")
    artifact = app.synth().get_stack_artifact("Probe")
    assert artifact.assume_role_arn is not None
    assert "cdk-abc12-deploy-role-333333333333" in artifact.assume_role_arn
    # ... and the SCPs and permission sets name the same roles.
    assert "cdk-abc12-cfn-exec-role" in Naming(changed).cdk_exec_role_arn(
        "333333333333", "eu-west-1"
    )


def test_a_conflicting_qualifier_in_the_cdk_context_is_refused(platform: PlatformConfig) -> None:
    app = create_app(context={BOOTSTRAP_QUALIFIER_CONTEXT: "other1"})
    with pytest.raises(ConfigError, match=r"guardrails.cdk_qualifier.*differs"):
        apply_bootstrap_qualifier(app, platform)
