"""OrganizationAdmin: routine management-account changes without break-glass.

It deploys the management account's stacks (SCPs and RCPs, Identity Center, the trail,
budgets) through that account's CDK deploy role, whose execution role makes the change;
it may invite accounts; it may not deploy anywhere else, act as the execution role,
administer a member account, or change guardrails directly outside CloudFormation."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import Decision, Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.identity.permission_sets import PERMISSION_SETS
from innovate_infra.naming import ORGANIZATION_ACCESS_ROLE, Naming

from tests.stacks.accounts.policies import Document, Estate, sso_role

MANAGEMENT, SECURITY, DEV, PROD = "111111111111", "222222222222", "333333333333", "444444444444"


def _cdk_role(account: str, kind: str) -> str:
    return f"arn:aws:iam::{account}:role/cdk-hnb659fds-{kind}-{account}-eu-west-1"


Admin = tuple[Principal, list[Document]]
# Stand-in for ReadOnlyAccess (thousands of actions, not vendored): every Get/List/Describe,
# a superset of its reads, so each explicit deny below is proven against a read allow.
READ_EVERYTHING: Document = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["*:Get*", "*:List*", "*:Describe*"], "Resource": "*"}
    ],
}


@pytest.fixture(scope="module")
def admin(templates: dict[str, dict[str, Any]], platform: PlatformConfig, naming: Naming) -> Admin:
    estate = Estate(templates, platform, naming)
    inline = estate.permission_set("OrganizationAdmin", managed=False)
    assert PERMISSION_SETS["OrganizationAdmin"].managed_policies == (
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    )
    return sso_role(MANAGEMENT, "OrganizationAdmin"), [READ_EVERYTHING, *inline]


def _decide(admin: Admin, action: str, resource: str) -> Decision:
    principal, identity = admin
    parts = resource.split(":")
    account = parts[4] if len(parts) > 4 and parts[4] else MANAGEMENT
    return authorize(
        Request(
            principal,
            action,
            resource,
            {"aws:ResourceAccount": account, "aws:RequestedRegion": "eu-west-1"},
        ),
        identity_policies=identity,
        # The management account: no SCP applies to its principals.
        service_control_policies=[],
    )


def test_it_deploys_the_management_stacks_through_the_cdk_roles(admin: Admin) -> None:
    for kind in ("deploy-role", "file-publishing-role", "lookup-role"):
        assert _decide(admin, "sts:AssumeRole", _cdk_role(MANAGEMENT, kind)).allowed, kind
    # The read-only lookup role anywhere: `make diff-accounts` reads every account's stacks.
    assert _decide(admin, "sts:AssumeRole", _cdk_role(SECURITY, "lookup-role")).allowed


def test_it_deploys_nowhere_else_and_never_as_the_execution_role(admin: Admin) -> None:
    for account in (SECURITY, DEV, PROD):
        for kind in ("deploy-role", "file-publishing-role", "image-publishing-role"):
            assert not _decide(admin, "sts:AssumeRole", _cdk_role(account, kind)).allowed
    for account in (MANAGEMENT, PROD):
        assert (
            _decide(admin, "sts:AssumeRole", _cdk_role(account, "cfn-exec-role"))
            is Decision.EXPLICIT_DENY
        )


def test_it_cannot_administer_member_accounts(admin: Admin) -> None:
    for account in (SECURITY, PROD):
        role = f"arn:aws:iam::{account}:role/{ORGANIZATION_ACCESS_ROLE}"
        assert _decide(admin, "sts:AssumeRole", role) is Decision.EXPLICIT_DENY


def test_guardrails_change_only_through_cloudformation(admin: Admin) -> None:
    policy = (
        f"arn:aws:organizations::{MANAGEMENT}:policy/o-exampleorg1/service_control_policy/p-ab12"
    )
    for action in (
        "organizations:UpdatePolicy",
        "organizations:DetachPolicy",
        "organizations:DeletePolicy",
        "organizations:LeaveOrganization",
        "sso:PutInlinePolicyToPermissionSet",
        "cloudtrail:StopLogging",
    ):
        assert _decide(admin, action, policy) is Decision.EXPLICIT_DENY, action


def test_it_invites_existing_accounts_and_reads(admin: Admin) -> None:
    assert _decide(admin, "organizations:InviteAccountToOrganization", "*").allowed
    assert _decide(admin, "organizations:DescribeOrganization", "*").allowed
    assert _decide(admin, "sso:ListInstances", "*").allowed


def test_it_reads_no_data(admin: Admin) -> None:
    bucket = "arn:aws:s3:::innovate-logs-cloudtrail-222222222222-eu-west-1/AWSLogs/x"
    assert _decide(admin, "s3:GetObject", bucket) is Decision.EXPLICIT_DENY
    assert _decide(admin, "secretsmanager:GetSecretValue", "*") is Decision.EXPLICIT_DENY


def test_it_is_assigned_in_the_management_account_only(platform: PlatformConfig) -> None:
    assert PERMISSION_SETS["OrganizationAdmin"].management_only
    rows = [
        a
        for a in platform.accounts.identity_center.assignments
        if a.permission_set == "OrganizationAdmin"
    ]
    assert rows
    assert all(a.accounts == ["management"] for a in rows)
