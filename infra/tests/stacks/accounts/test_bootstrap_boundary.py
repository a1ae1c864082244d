"""Item 4: the permissions boundary of the member accounts' CDK CloudFormation execution
role (``infra/policies/bootstrap/cfn-exec-boundary.json``, installed as the customer
managed policy ``<project>-cdk-exec-boundary`` and passed to ``cdk bootstrap
--custom-permissions-boundary``; docs/accounts.md). Evaluated with the execution policy
the role keeps (AdministratorAccess): a boundary only caps it."""

from __future__ import annotations

import pytest
from innovate_infra.compliance.policy_eval import Decision, Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.organization.policies import (
    load_template,
    placeholders,
    render_policy,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters

from tests.stacks.accounts.support import managed_policy

NAME = "bootstrap/cfn-exec-boundary"
PROD = "444444444444"


@pytest.fixture(scope="module")
def boundary(platform: PlatformConfig, naming: Naming) -> dict[str, object]:
    params = policy_parameters(platform, naming)
    assert placeholders(load_template(NAME)) <= set(params)
    document: dict[str, object] = render_policy(NAME, params).document
    return document


def decide(boundary: dict[str, object], action: str, resource: str) -> Decision:
    exec_role = Principal.role(PROD, f"cdk-hnb659fds-cfn-exec-role-{PROD}-eu-west-1")
    request = Request(exec_role, action, resource)
    policy = authorize(request, identity_policies=[managed_policy("AdministratorAccess")])
    capped = authorize(request, identity_policies=[boundary])
    if Decision.EXPLICIT_DENY in (policy, capped):
        return Decision.EXPLICIT_DENY
    return Decision.ALLOW if policy.allowed and capped.allowed else Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateUser", "*"),
        ("iam:CreateAccessKey", "*"),
        ("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{PROD}:role/cdk-hnb659fds-deploy-role-x"),
        ("iam:AttachRolePolicy", f"arn:aws:iam::{PROD}:role/cdk-hnb659fds-cfn-exec-role-x"),
        (
            "iam:DeleteRolePermissionsBoundary",
            f"arn:aws:iam::{PROD}:role/cdk-hnb659fds-cfn-exec-role-x",
        ),
        ("iam:CreatePolicyVersion", f"arn:aws:iam::{PROD}:policy/innovate-cdk-exec-boundary"),
        ("organizations:LeaveOrganization", "*"),
        ("account:CloseAccount", "*"),
    ],
)
def test_execution_role_cannot_escalate_or_undo_its_boundary(
    boundary: dict[str, object], action: str, resource: str
) -> None:
    assert decide(boundary, action, resource) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateRole", f"arn:aws:iam::{PROD}:role/innovate-prod-app"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{PROD}:role/innovate-prod-app"),
        ("ec2:CreateVpc", "*"),
        ("kms:CreateKey", "*"),
        ("s3:CreateBucket", "arn:aws:s3:::innovate-prod-data"),
    ],
)
def test_execution_role_still_deploys_the_workload_stacks(
    boundary: dict[str, object], action: str, resource: str
) -> None:
    assert decide(boundary, action, resource) is Decision.ALLOW
