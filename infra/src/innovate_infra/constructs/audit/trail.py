"""The organization CloudTrail, owned by the management account.

AWS lets only the management account (or a CloudTrail delegated administrator,
whose organization trails are still owned by the management account) create an
organization trail, and a trail delivers to CloudWatch Logs only in its own
account. So the trail, its log group and the CIS alarms live in the management
account; the trail's S3 delivery goes to the security account's archive bucket,
encrypted with the archive's KMS key (referenced by alias ARN, as KMS requires
for a key in another account).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from innovate_infra.constructs.kms.key_policy import explicit_key_policy
from innovate_infra.constructs.logging.log_group import set_retention_days


@dataclass(frozen=True)
class AuditLogStoreProps:
    region: str
    account: str
    """The management account (the trail's)."""
    key_alias: str
    key_admin_principal_arns: Sequence[str]
    log_group_name: str
    retention_days: int


class AuditLogStore(Construct):
    """Stateful half: the KMS key for the trail's log group and the alarm topic, and the group."""

    def __init__(self, scope: Construct, construct_id: str, *, props: AuditLogStoreProps) -> None:
        super().__init__(scope, construct_id)
        region = props.region
        account = props.account
        self.key = kms.Key(
            self,
            "Key",
            alias=props.key_alias,
            description="Encrypts the organization trail's CloudWatch log group and the "
            "security alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            policy=explicit_key_policy(account, props.key_admin_principal_arns),
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsUsesKeyForTrailLogGroup",
                principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:aws:logs:{region}:{account}:log-group:*"
                        )
                    }
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        self.log_group = logs.LogGroup(
            self,
            "TrailLogGroup",
            log_group_name=props.log_group_name,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        set_retention_days(self.log_group, props.retention_days)


@dataclass(frozen=True)
class OrganizationTrailProps:
    trail_name: str
    role_name: str
    log_group: logs.ILogGroup
    log_group_name: str
    """The group's name: its streams' ARN is built from it (GetAtt Arn ends in ":*")."""
    bucket_name: str
    """The archive's CloudTrail bucket (security/logs account)."""
    kms_key_arn: str
    """The archive key's alias ARN (KMS takes an alias ARN for a key in another account)."""
    sensitive_data_bucket_prefixes: Sequence[str]


class OrganizationTrail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: OrganizationTrailProps,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "CloudWatchLogsRole",
            role_name=props.role_name,
            # Confused deputy: only CloudTrail delivering this trail (CloudTrail User Guide,
            # "Cross-service confused deputy prevention").
            assumed_by=iam.ServicePrincipal(
                "cloudtrail.amazonaws.com",
                conditions={
                    "StringEquals": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:cloudtrail:{Aws.REGION}:"
                        f"{Aws.ACCOUNT_ID}:trail/{props.trail_name}"
                    }
                },
            ),
            description="Lets the organization trail write to its CloudWatch log group",
        )
        # The log group's GetAtt Arn ends in ":*"; the streams' ARN is built from its name.
        streams = (
            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:"
            f"{props.log_group_name}:log-stream:*"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[streams]
            )
        )
        prefixes = props.sensitive_data_bucket_prefixes
        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=props.trail_name,
            is_logging=True,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            s3_bucket_name=props.bucket_name,
            kms_key_id=props.kms_key_arn,
            cloud_watch_logs_log_group_arn=props.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.role.role_arn,
            advanced_event_selectors=[
                cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                    name="ManagementEvents",
                    field_selectors=[
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="eventCategory", equal_to=["Management"]
                        )
                    ],
                ),
                cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                    name="SensitiveDataS3Objects",
                    field_selectors=[
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="eventCategory", equal_to=["Data"]
                        ),
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="resources.type", equal_to=["AWS::S3::Object"]
                        ),
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="resources.ARN",
                            starts_with=[f"arn:aws:s3:::{p}" for p in prefixes],
                        ),
                    ],
                ),
            ],
        )
        self.trail.node.add_dependency(self.role)
