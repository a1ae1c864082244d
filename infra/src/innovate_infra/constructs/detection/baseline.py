"""Threat detection in the security/logs account, first half: the account's own
GuardDuty detector, Security Hub and AWS Config recorder.

They must exist *before* the account is designated delegated administrator, because
the designation itself switches GuardDuty on in the account and a later detector
resource would then fail to create (docs/accounts.md). The second half, what the
delegated administrator configures for every account, is ``organization.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_config as config_
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct

# GuardDuty protection plans that fit the platform (EKS, RDS, S3, EC2/EBS, Lambda).
GUARDDUTY_FEATURES = (
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "RUNTIME_MONITORING",
    "LAMBDA_NETWORK_LOGS",
)
# Runtime monitoring manages the GuardDuty security agent as an EKS add-on.
RUNTIME_ADDITIONAL = "EKS_ADDON_MANAGEMENT"


def security_hub_standard_arns(region: str, cis_version: str) -> list[str]:
    return [
        f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/{cis_version}",
    ]


# Construct ids of the roles that carry an AWS-managed service policy (suppressions).
CONFIG_RECORDER_ROLE_ID = "ConfigRecorderRole"
CONFIG_RECORDER_POLICY_PATH = f"{CONFIG_RECORDER_ROLE_ID}/DefaultPolicy/Resource"


@dataclass(frozen=True)
class ConfigDelivery:
    """Where a recorder delivers: the archive's Config bucket, encrypted by default with
    the archive key (security/logs account), addressed by name and alias."""

    bucket_name: str
    key_account: str
    key_region: str
    key_alias: str


def config_delivery_statements(
    delivery: ConfigDelivery, account: str | dict[str, str]
) -> list[dict[str, Any]]:
    """The recorder role's delivery permissions, as AWS Config documents them for a custom
    role ("Permissions for the IAM role assigned to AWS Config"): write under the account's
    own prefix with the bucket-owner ACL, check the bucket ACL, and use the archive key.
    ``account`` may be an intrinsic (the StackSet template passes ``AWS::AccountId``)."""
    bucket = f"arn:aws:s3:::{delivery.bucket_name}"
    return [
        {
            "Sid": "DeliverConfigurationItems",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": f"{bucket}/AWSLogs/{account}/Config/*"
            if isinstance(account, str)
            else {"Fn::Join": ["", [bucket, "/AWSLogs/", account, "/Config/*"]]},
            "Condition": {"StringLike": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {
            "Sid": "CheckDeliveryBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
            "Resource": bucket,
        },
        {
            "Sid": "EncryptWithTheArchiveKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:{delivery.key_region}:{delivery.key_account}:key/*",
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": delivery.key_alias},
                "StringEquals": {"kms:ViaService": f"s3.{delivery.key_region}.amazonaws.com"},
            },
        },
    ]


def config_recorder_role(
    scope: Construct, role_name: str, *, account: str, delivery: ConfigDelivery
) -> iam.Role:
    role = iam.Role(
        scope,
        CONFIG_RECORDER_ROLE_ID,
        role_name=role_name,
        # Confused deputy: only Config acting for this account (Config Developer Guide,
        # "Permissions for the IAM role assigned to AWS Config").
        assumed_by=iam.ServicePrincipal(
            "config.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
        ),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")
        ],
        description="AWS Config recorder: reads resource configuration in this account and "
        "delivers it to the log archive",
    )
    for statement in config_delivery_statements(delivery, account):
        role.add_to_policy(iam.PolicyStatement.from_json(statement))
    return role


def recorder_with_channel(
    scope: Construct, *, role_arn: str, bucket_name: str, include_global_resource_types: bool
) -> tuple[config_.CfnConfigurationRecorder, config_.CfnDeliveryChannel]:
    """An account's Config recorder and its delivery channel, in ``scope`` itself (their
    logical ids are frozen). AWS requires the recorder before the channel."""
    recorder = config_.CfnConfigurationRecorder(
        scope,
        "ConfigRecorder",
        name="default",
        role_arn=role_arn,
        recording_group=config_.CfnConfigurationRecorder.RecordingGroupProperty(
            all_supported=True, include_global_resource_types=include_global_resource_types
        ),
    )
    channel = config_.CfnDeliveryChannel(
        scope,
        "ConfigDeliveryChannel",
        name="default",
        s3_bucket_name=bucket_name,
        config_snapshot_delivery_properties=config_.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
            delivery_frequency="TwentyFour_Hours"
        ),
    )
    channel.add_dependency(recorder)
    return recorder, channel


class ConfigRecorder:
    """A recorder and its delivery channel. The channel depends on the recorder: AWS
    Config refuses a delivery channel while no recorder exists ("Before you can create a
    delivery channel, you must create a configuration recorder", PutDeliveryChannel /
    AWS::Config::DeliveryChannel)."""

    def __init__(
        self,
        scope: Construct,
        *,
        role_name: str,
        account: str,
        delivery: ConfigDelivery,
        include_global_resource_types: bool,
    ) -> None:
        # Creates its resources in ``scope`` itself (their logical ids are frozen).
        role = config_recorder_role(scope, role_name, account=account, delivery=delivery)
        self.recorder, self.delivery_channel = recorder_with_channel(
            scope,
            role_arn=role.role_arn,
            bucket_name=delivery.bucket_name,
            include_global_resource_types=include_global_resource_types,
        )
        self.role = role


def guardduty_detector(scope: Construct, finding_frequency: str) -> guardduty.CfnDetector:
    """An account's detector with every protection plan on, in ``scope`` (id frozen)."""
    return guardduty.CfnDetector(
        scope,
        "Detector",
        enable=True,
        finding_publishing_frequency=finding_frequency,
        features=[
            guardduty.CfnDetector.CFNFeatureConfigurationProperty(
                name=name,
                status="ENABLED",
                additional_configuration=[
                    guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty(
                        name=RUNTIME_ADDITIONAL, status="ENABLED"
                    )
                ]
                if name == "RUNTIME_MONITORING"
                else None,
            )
            for name in GUARDDUTY_FEATURES
        ],
    )


@dataclass(frozen=True)
class DetectionBaselineProps:
    finding_frequency: str
    standard_arns: Sequence[str]
    account: str
    config_recorder_role_name: str
    config_delivery: ConfigDelivery


class DetectionBaseline(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: DetectionBaselineProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.detector = guardduty_detector(self, props.finding_frequency)
        self.hub = securityhub.CfnHub(
            self,
            "SecurityHub",
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
        )
        self.standards = [
            securityhub.CfnStandard(self, f"Standard{i}", standards_arn=arn)
            for i, arn in enumerate(props.standard_arns)
        ]
        for standard in self.standards:
            standard.add_resource_dependency(self.hub)

        recorder = ConfigRecorder(
            self,
            role_name=props.config_recorder_role_name,
            account=props.account,
            delivery=props.config_delivery,
            include_global_resource_types=True,
        )
        self.recorder = recorder.recorder
        self.delivery_channel = recorder.delivery_channel
