"""EncryptionKey in isolation: the key policy it writes, evaluated (policy_eval).

Issue #8 item 5: the old test matched literal action names (``kms:ScheduleKeyDeletion``
in an admin statement, no ``kms:*``) and passed while CDK's ``admins=[root]`` statement
granted ``kms:Create*`` (CreateGrant) and ``kms:Put*`` (PutKeyPolicy) to every principal
of the account whose IAM policy allows ``kms:*``. This one asks what AWS would decide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk.assertions import Template
from innovate_infra.compliance.policy_eval import Decision, Principal, Request, authorize
from innovate_infra.constructs.kms.encryption_key import (
    ADMIN_ACTIONS,
    EncryptionKey,
    EncryptionKeyProps,
)

from tests.aws_managed_policies import ADMINISTRATOR_ACCESS, POWER_USER_ACCESS
from tests.helpers import new_stack, resources_of

ACCOUNT = "333333333333"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1"
DEVELOPER = Principal.role(
    ACCOUNT,
    "AWSReservedSSO_Developer_0123",
    path="/aws-reserved/sso.amazonaws.com/eu-west-1/",
)


def key_template(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    stack = new_stack(tmp_path)
    props: dict[str, Any] = {
        "purpose": "data",
        "alias": "alias/test/data",
        "description": "test",
        "removal_policy": RemovalPolicy.RETAIN,
        "administrator_arns": (DEPLOYER,),
        "via_services": ("s3.eu-west-1.amazonaws.com",),
        "allow_grants_via_services": True,
        **overrides,
    }
    EncryptionKey(stack, "Data", props=EncryptionKeyProps(**props))
    return Template.from_stack(stack).to_json()


def decide(policy: dict[str, Any], principal: Principal, action: str, **context: Any) -> Decision:
    identity = ADMINISTRATOR_ACCESS if principal.arn == DEPLOYER else POWER_USER_ACCESS
    return authorize(
        Request(principal, action, f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k", context),
        resource_policy=policy,
        resource_account=ACCOUNT,
        identity_policies=[identity],
        resource_policy_required=True,
    )


def test_key_is_retained_rotating_and_aliased(tmp_path: Path) -> None:
    template = key_template(tmp_path)
    [key] = resources_of(template, "AWS::KMS::Key").values()
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    [alias] = resources_of(template, "AWS::KMS::Alias").values()
    assert alias["Properties"]["AliasName"] == "alias/test/data"


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
def test_only_the_administrators_administer(tmp_path: Path, action: str) -> None:
    [key] = resources_of(key_template(tmp_path), "AWS::KMS::Key").values()
    policy = key["Properties"]["KeyPolicy"]
    assert decide(policy, Principal(arn=DEPLOYER), action).allowed
    read_only = action.startswith(("kms:Describe", "kms:Get", "kms:List"))
    assert decide(policy, DEVELOPER, action).allowed is read_only


@pytest.mark.parametrize(
    "action", ["kms:CreateGrant", "kms:PutKeyPolicy", "kms:Decrypt", "kms:ReEncryptFrom"]
)
def test_power_user_cannot_escalate_to_usage(tmp_path: Path, action: str) -> None:
    [key] = resources_of(key_template(tmp_path), "AWS::KMS::Key").values()
    policy = key["Properties"]["KeyPolicy"]
    assert not decide(policy, DEVELOPER, action).allowed
    # Even through the approved service, a grant for a principal (not an AWS resource).
    via = {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    grant = decide(
        policy, DEVELOPER, "kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": False}
    )
    assert not grant.allowed


def test_usage_through_the_approved_service(tmp_path: Path) -> None:
    [key] = resources_of(key_template(tmp_path), "AWS::KMS::Key").values()
    policy = key["Properties"]["KeyPolicy"]
    via = {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert decide(policy, DEVELOPER, "kms:Decrypt", **via).allowed
    assert decide(
        policy, DEVELOPER, "kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": True}
    ).allowed
    assert not decide(
        policy, DEVELOPER, "kms:Decrypt", **{**via, "kms:ViaService": "sqs.eu-west-1.amazonaws.com"}
    ).allowed


def test_a_key_without_administrators_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="administrator"):
        key_template(tmp_path, administrator_arns=())
