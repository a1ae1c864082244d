"""A customer-managed KMS key for one purpose, with rotation and a least-privilege key policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# What a service needs to use a symmetric key for envelope encryption.
USAGE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
# Services that persist data keys (EBS, RDS, Secrets Manager) also create grants.
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
# Key administration, written out action by action (AWS's console statement uses
# ``kms:Create*`` and ``kms:Put*``, i.e. CreateGrant and PutKeyPolicy: whoever holds them
# can grant themselves usage). Only the deployment role and break-glass get these; they
# are everything CloudFormation calls to create, update, tag, rotate and delete a key.
ADMIN_ACTIONS = (
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
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# Read-only metadata any principal of the account may see (auditors, the console):
# no usage, no grants, no policy changes.
READ_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
)


@dataclass(frozen=True)
class ServicePrincipalUsage:
    """A service principal that encrypts with the key itself (e.g. CloudWatch Logs).

    ``encryption_context`` pins the key to that service's resources in this account
    (a condition on ``kms:EncryptionContext:<key>`` with ArnLike).
    """

    service: str
    encryption_context_key: str
    encryption_context_arn_pattern: str


@dataclass(frozen=True)
class ServicePublisher:
    """A service principal that publishes to a resource encrypted with the key (e.g.
    CloudWatch alarms to an encrypted SNS topic), bound to this account and to source
    ARNs matching ``source_arn_pattern`` (confused-deputy conditions)."""

    service: str
    source_arn_pattern: str


# What a publishing service needs on the topic's key (SNS developer guide, "Enable
# compatibility between event sources from AWS services and encrypted topics").
PUBLISHER_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


@dataclass(frozen=True)
class EncryptionKeyProps:
    purpose: str
    alias: str
    description: str
    removal_policy: RemovalPolicy
    # IAM principal ARN patterns (ArnLike on aws:PrincipalArn) that administer the key:
    # the CloudFormation execution role and break-glass. Never people's everyday roles.
    administrator_arns: Sequence[str]
    # Principals of this account may use the key only through these services
    # (kms:ViaService), e.g. "rds.eu-west-1.amazonaws.com".
    via_services: Sequence[str] = field(default_factory=tuple)
    allow_grants_via_services: bool = False
    service_principals: Sequence[ServicePrincipalUsage] = field(default_factory=tuple)
    service_publishers: Sequence[ServicePublisher] = field(default_factory=tuple)
    pending_window_days: int = 30


class EncryptionKey(Construct):
    """A symmetric CMK with yearly rotation.

    The key policy has three kinds of statements and nothing else:

    * key administration (not usage, no ``CreateGrant``) for the listed administrator
      roles only (the deployment role and break-glass, matched by ``aws:PrincipalArn``),
      so PowerUserAccess (``kms:*``) in the account cannot change the policy or grant
      itself decrypt;
    * read-only key metadata for the account's principals;
    * usage by principals of this account only through the listed AWS services;
    * usage by the listed service principals, bound to their encryption context;
    * publishing by the listed service principals, bound to this account and their
      source ARNs.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: EncryptionKeyProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        if not props.administrator_arns:
            raise ValueError(f"{props.alias}: a key needs at least one administrator")
        policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="KeyAdministrationByDeploymentAndBreakGlass",
                    principals=[iam.AccountRootPrincipal()],
                    actions=list(ADMIN_ACTIONS),
                    resources=["*"],
                    conditions={"ArnLike": {"aws:PrincipalArn": list(props.administrator_arns)}},
                ),
                iam.PolicyStatement(
                    sid="ReadKeyMetadataInThisAccount",
                    principals=[iam.AccountRootPrincipal()],
                    actions=list(READ_ACTIONS),
                    resources=["*"],
                ),
            ]
        )
        if props.via_services:
            # Usage and grants share one bound: callers in this account, through the named services.
            through_services = {
                "kms:CallerAccount": stack.account,
                "kms:ViaService": list(props.via_services),
            }
            policy.add_statements(
                iam.PolicyStatement(
                    sid="UseThroughApprovedServices",
                    principals=[iam.AccountRootPrincipal()],
                    actions=list(USAGE_ACTIONS),
                    resources=["*"],
                    conditions={"StringEquals": through_services},
                )
            )
            if props.allow_grants_via_services:
                policy.add_statements(
                    iam.PolicyStatement(
                        sid="GrantsForAwsResourcesThroughApprovedServices",
                        principals=[iam.AccountRootPrincipal()],
                        actions=list(GRANT_ACTIONS),
                        resources=["*"],
                        conditions={
                            "StringEquals": through_services,
                            "Bool": {"kms:GrantIsForAWSResource": "true"},
                        },
                    )
                )
        for usage in props.service_principals:
            policy.add_statements(
                iam.PolicyStatement(
                    sid=f"UseBy{usage.service.split('.')[0].capitalize()}Service",
                    principals=[iam.ServicePrincipal(usage.service)],
                    actions=list(USAGE_ACTIONS),
                    resources=["*"],
                    conditions={
                        "ArnLike": {
                            f"kms:EncryptionContext:{usage.encryption_context_key}": (
                                usage.encryption_context_arn_pattern
                            )
                        }
                    },
                )
            )
        for publisher in props.service_publishers:
            policy.add_statements(
                iam.PolicyStatement(
                    sid=f"PublishBy{publisher.service.split('.')[0].capitalize()}Service",
                    principals=[iam.ServicePrincipal(publisher.service)],
                    actions=list(PUBLISHER_ACTIONS),
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": publisher.source_arn_pattern},
                    },
                )
            )
        self.key = kms.Key(
            self,
            "Key",
            alias=props.alias,
            description=props.description,
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            pending_window=Duration.days(props.pending_window_days),
            removal_policy=props.removal_policy,
            policy=policy,
        )
