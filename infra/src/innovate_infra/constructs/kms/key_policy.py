"""Explicit key policies for the account-level keys (log archive, audit, Security Lake).

CDK's default key policy (``@aws-cdk/aws-kms:defaultKeyPolicies``) is one statement:
the account root may do ``kms:*``. That delegates the key to IAM, so any principal in
the account whose identity policy allows ``kms:*`` (PowerUserAccess, AdministratorAccess)
may ``kms:CreateGrant`` or ``kms:PutKeyPolicy`` and give itself decrypt. AWS documents
this: "Because key administrators have permission to change the key policy and create
grants, they can give themselves and others AWS KMS permissions not specified in this
policy" (KMS Developer Guide, "Default key policy", key administrators).

The policy written here instead:

* ``KeyAdministration``: only the named administrators (the account's CDK CloudFormation
  execution role, which must keep ``kms:PutKeyPolicy`` to pass KMS's lockout safety
  check, and break-glass) get the administrative actions, listed one by one: no
  ``kms:Create*`` (which includes ``CreateGrant``) and no ``kms:Put*`` wildcard;
* ``ReadKeyMetadata``: IAM may grant the read-only metadata actions to anyone in the
  account (auditors, the console);
* no cryptographic use and no grant creation is delegated to IAM: each user of the key
  is named in its own statement by the construct that owns the key.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam

# Administrative actions, each named (KMS Developer Guide, "Default key policy", the
# key administrators statement, with the wildcards expanded and CreateGrant left out:
# no administrator needs to create grants on these keys).
KEY_ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KEY_READ_ACTIONS: tuple[str, ...] = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
)


def explicit_key_policy(account: str, admin_principal_arns: Sequence[str]) -> iam.PolicyDocument:
    """The key policy's base; the key's users are added by the owner of the key."""
    root = iam.AccountPrincipal(account)
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="KeyAdministration",
                principals=[root],
                actions=list(KEY_ADMIN_ACTIONS),
                resources=["*"],
                conditions={"ArnLike": {"aws:PrincipalArn": list(admin_principal_arns)}},
            ),
            iam.PolicyStatement(
                sid="ReadKeyMetadata",
                principals=[root],
                actions=list(KEY_READ_ACTIONS),
                resources=["*"],
            ),
        ]
    )
