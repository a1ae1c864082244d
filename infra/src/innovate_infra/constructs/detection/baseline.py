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


def config_recorder_role(scope: Construct, role_name: str) -> iam.Role:
    role = iam.Role(
        scope,
        CONFIG_RECORDER_ROLE_ID,
        role_name=role_name,
        assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")
        ],
        description="AWS Config recorder: reads resource configuration in this account",
    )
    return role


@dataclass(frozen=True)
class DetectionBaselineProps:
    finding_frequency: str
    standard_arns: Sequence[str]
    config_recorder_role_name: str
    config_bucket_name: str


class DetectionBaseline(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: DetectionBaselineProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.detector = guardduty.CfnDetector(
            self,
            "Detector",
            enable=True,
            finding_publishing_frequency=props.finding_frequency,
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

        role = config_recorder_role(self, props.config_recorder_role_name)
        self.recorder = config_.CfnConfigurationRecorder(
            self,
            "ConfigRecorder",
            name="default",
            role_arn=role.role_arn,
            recording_group=config_.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True
            ),
        )
        self.delivery_channel = config_.CfnDeliveryChannel(
            self,
            "ConfigDeliveryChannel",
            name="default",
            s3_bucket_name=props.config_bucket_name,
            config_snapshot_delivery_properties=config_.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"
            ),
        )
