"""IAM Identity Center permission sets and assignments."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.config import ConfigError, PlatformConfig
from innovate_infra.config.accounts import IdentityCenter
from innovate_infra.constructs.identity.permission_sets import PERMISSION_SETS
from innovate_infra.constructs.organization.policies import render_policy
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.identity import check_identity_center
from innovate_infra.stacks.accounts.parameters import policy_parameters

from tests.conftest import Synth


def permission_sets(synth: Synth) -> dict[str, dict[str, Any]]:
    found = synth.template(synth.accounts.identity).find_resources("AWS::SSO::PermissionSet")
    return {r["Properties"]["Name"]: (lid, r["Properties"]) for lid, r in found.items()}  # type: ignore[misc]


def test_the_six_permission_sets_exist(synth: Synth) -> None:
    assert set(permission_sets(synth)) == {
        "BreakGlassAdmin",
        "OrganizationAdmin",
        "PlatformEngineer",
        "Developer",
        "ReadOnly",
        "SecurityAuditor",
    }


def test_session_durations_policies_and_instance(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    params = policy_parameters(platform, naming)
    for name, (_, props) in permission_sets(synth).items():
        spec = PERMISSION_SETS[name]
        assert props["InstanceArn"] == platform.accounts.identity_center.instance_arn
        durations = platform.accounts.identity_center.session_durations
        assert props["SessionDuration"] == durations.get(name, spec.session_duration)
        assert props["ManagedPolicies"] == list(spec.managed_policies)
        if spec.inline_policy is None:
            assert "InlinePolicy" not in props
        else:
            assert props["InlinePolicy"] == render_policy(spec.inline_policy, params).document


def test_break_glass_has_the_shortest_session(synth: Synth) -> None:
    sets = permission_sets(synth)
    assert sets["BreakGlassAdmin"][1]["SessionDuration"] == "PT1H"
    hours = {n: int(p["SessionDuration"][2:-1]) for n, (_, p) in sets.items()}
    assert min(hours.values()) == hours["BreakGlassAdmin"]


def assignments(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> set[tuple[str, str, str]]:
    """(group name, permission set, account key) triples in the template."""
    template = synth.template(synth.accounts.identity)
    set_by_logical = {lid: name for name, (lid, _) in permission_sets(synth).items()}
    group_by_id = {gid: name for name, gid in platform.accounts.identity_center.groups.items()}
    account_by_id = {
        platform.account_id(k): k
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


def test_assignments_follow_config(synth: Synth, platform: PlatformConfig, naming: Naming) -> None:
    expected = {
        (a.group, a.permission_set, account)
        for a in platform.accounts.identity_center.assignments
        for account in a.accounts
    }
    assert assignments(synth, platform, naming) == expected


def test_developers_write_in_development_only_and_read_in_production(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    found = assignments(synth, platform, naming)
    developer_rows = {(s, a) for g, s, a in found if g == "developers"}
    assert ("Developer", "development") in developer_rows
    assert ("ReadOnly", "production") in developer_rows
    assert ("Developer", "production") not in developer_rows
    write_sets = {n for n, spec in PERMISSION_SETS.items() if not spec.production_allowed}
    assert not {(s, a) for _, s, a in found if s in write_sets and a == "production"}


def test_developer_cannot_assume_deployment_roles(platform: PlatformConfig, naming: Naming) -> None:
    doc = render_policy("permission-sets/developer", policy_parameters(platform, naming)).document
    deny = next(s for s in doc["Statement"] if s["Sid"] == "NoDeploymentRoleBypass")
    assert deny["Effect"] == "Deny"
    q = platform.accounts.guardrails.cdk_qualifier
    assert f"arn:aws:iam::*:role/cdk-{q}-cfn-exec-role-*" in deny["Resource"]
    assert f"arn:aws:iam::*:role/cdk-{q}-deploy-role-*" in deny["Resource"]


def test_read_only_cannot_read_data_or_secrets(platform: PlatformConfig, naming: Naming) -> None:
    doc = render_policy("permission-sets/read-only", policy_parameters(platform, naming)).document
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


@pytest.mark.parametrize(
    ("dotted", "value", "field", "reason"),
    [
        (
            "assignments.3.accounts",
            ["development", "production"],
            "identity_center.assignments.3",
            "'Developer' grants write access and may not be assigned in the production account",
        ),
        (
            "assignments.6.accounts",
            ["management", "security"],
            "identity_center.assignments.6",
            "'OrganizationAdmin' operates the organization and may be assigned in the "
            "management account only",
        ),
        (
            "assignments.0.permission_set",
            "God",
            "identity_center.assignments.0.permission_set",
            "'God' is not one of",
        ),
        (
            "session_durations",
            {"Nobody": "PT2H"},
            "identity_center.session_durations.Nobody",
            "unknown permission set 'Nobody'",
        ),
    ],
)
def test_identity_center_is_checked_against_the_catalogue(
    platform: PlatformConfig, dotted: str, value: Any, field: str, reason: str
) -> None:
    """Formerly config validation: the stack that renders the permission sets refuses
    a set the catalogue does not have, or a write-capable set in production."""
    data = platform.accounts.identity_center.model_dump()
    node: Any = data
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    with pytest.raises(ConfigError) as caught:
        check_identity_center(IdentityCenter.model_validate(data))
    [issue] = caught.value.issues
    assert issue.file.endswith("accounts/accounts.yaml")
    assert issue.field == field
    assert reason in issue.reason
