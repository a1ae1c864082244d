"""IAM Identity Center permission sets and assignments."""

from __future__ import annotations

from typing import Any

from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.guardrails import policy_parameters
from innovate_infra.accounts.permission_sets import PERMISSION_SETS
from innovate_infra.accounts.policies import render_policy

from .conftest import Synthesized


def permission_sets(synth: Synthesized) -> dict[str, dict[str, Any]]:
    found = synth.template(synth.stacks.identity).find_resources("AWS::SSO::PermissionSet")
    return {r["Properties"]["Name"]: (lid, r["Properties"]) for lid, r in found.items()}  # type: ignore[misc]


def test_the_five_permission_sets_exist(synth: Synthesized) -> None:
    assert set(permission_sets(synth)) == {
        "BreakGlassAdmin",
        "PlatformEngineer",
        "Developer",
        "ReadOnly",
        "SecurityAuditor",
    }


def test_session_durations_policies_and_instance(
    synth: Synthesized, config: AccountsConfig
) -> None:
    params = policy_parameters(config)
    for name, (_, props) in permission_sets(synth).items():
        spec = PERMISSION_SETS[name]
        assert props["InstanceArn"] == config.identity_center.instance_arn
        assert props["SessionDuration"] == config.session_duration(name)
        assert props["ManagedPolicies"] == list(spec.managed_policies)
        if spec.inline_policy is None:
            assert "InlinePolicy" not in props
        else:
            assert props["InlinePolicy"] == render_policy(spec.inline_policy, params).document


def test_break_glass_has_the_shortest_session(synth: Synthesized) -> None:
    sets = permission_sets(synth)
    assert sets["BreakGlassAdmin"][1]["SessionDuration"] == "PT1H"
    hours = {n: int(p["SessionDuration"][2:-1]) for n, (_, p) in sets.items()}
    assert min(hours.values()) == hours["BreakGlassAdmin"]


def assignments(synth: Synthesized, config: AccountsConfig) -> set[tuple[str, str, str]]:
    """(group name, permission set, account key) triples in the template."""
    template = synth.template(synth.stacks.identity)
    set_by_logical = {lid: name for name, (lid, _) in permission_sets(synth).items()}
    group_by_id = {gid: name for name, gid in config.identity_center.groups.items()}
    account_by_id = {
        config.account_id(k): k
        for k in ("management", "security", "development", "production")  # type: ignore[arg-type]
    }
    found = set()
    for resource in template.find_resources("AWS::SSO::Assignment").values():
        props = resource["Properties"]
        assert props["PrincipalType"] == "GROUP"
        assert props["TargetType"] == "AWS_ACCOUNT"
        set_logical = props["PermissionSetArn"]["Fn::GetAtt"][0]
        found.add(
            (
                group_by_id[props["PrincipalId"]],
                set_by_logical[set_logical],
                account_by_id[props["TargetId"]],
            )
        )
    return found


def test_assignments_follow_config(synth: Synthesized, config: AccountsConfig) -> None:
    expected = {
        (a.group, a.permission_set, account)
        for a in config.identity_center.assignments
        for account in a.accounts
    }
    assert assignments(synth, config) == expected


def test_developers_write_in_development_only_and_read_in_production(
    synth: Synthesized, config: AccountsConfig
) -> None:
    found = assignments(synth, config)
    developer_rows = {(s, a) for g, s, a in found if g == "developers"}
    assert ("Developer", "development") in developer_rows
    assert ("ReadOnly", "production") in developer_rows
    assert ("Developer", "production") not in developer_rows
    write_sets = {n for n, spec in PERMISSION_SETS.items() if not spec.production_allowed}
    assert not {(s, a) for _, s, a in found if s in write_sets and a == "production"}


def test_developer_cannot_assume_deployment_roles(config: AccountsConfig) -> None:
    doc = render_policy("permission-sets/developer", policy_parameters(config)).document
    deny = next(s for s in doc["Statement"] if s["Sid"] == "NoDeploymentRoleBypass")
    assert deny["Effect"] == "Deny"
    q = config.guardrails.cdk_qualifier
    assert f"arn:aws:iam::*:role/cdk-{q}-cfn-exec-role-*" in deny["Resource"]
    assert f"arn:aws:iam::*:role/cdk-{q}-deploy-role-*" in deny["Resource"]


def test_read_only_cannot_read_data_or_secrets(config: AccountsConfig) -> None:
    doc = render_policy("permission-sets/read-only", policy_parameters(config)).document
    deny = doc["Statement"][0]
    assert deny["Effect"] == "Deny"
    for action in (
        "s3:GetObject",
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
        "ssm:GetParameter",
        "dynamodb:GetItem",
    ):
        assert action in deny["Action"]
