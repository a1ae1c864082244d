"""Threat detection and posture services in the security/logs account.

Two halves, deployed either side of the management account's delegation step
(docs/accounts.md):

* ``DetectionBaseline``: this account's own GuardDuty detector, Security Hub,
  AWS Config recorder. They must exist *before* the account is designated
  delegated administrator, because the designation itself switches GuardDuty on
  in the account and a later detector resource would then fail to create.
* ``OrganizationSecurity``: what a delegated administrator configures for every
  account: GuardDuty auto-enable with protection plans, Security Hub central
  configuration (FSBP + CIS), the Config organization aggregator and the IAM
  Access Analyzer organization analyzer.
"""

from __future__ import annotations

from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_config as config_
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct

from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.guardrails import security_automation_role_name
from innovate_infra.accounts.naming import log_bucket_name
from innovate_infra.accounts.org_api import OrganizationApiCall

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


def security_hub_standard_arns(config: AccountsConfig) -> list[str]:
    region = config.organization.home_region
    return [
        f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/"
        f"{config.detection.cis_standard_version}",
    ]


def config_recorder_role(scope: Construct, config: AccountsConfig) -> iam.Role:
    role = iam.Role(
        scope,
        "ConfigRecorderRole",
        role_name=security_automation_role_name(config, "config-recorder"),
        assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")
        ],
        description="AWS Config recorder: reads resource configuration in this account",
    )
    return role


class DetectionBaseline(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id)
        self.detector = guardduty.CfnDetector(
            self,
            "Detector",
            enable=True,
            finding_publishing_frequency=config.detection.guardduty_finding_frequency,
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
            for i, arn in enumerate(security_hub_standard_arns(config))
        ]
        for standard in self.standards:
            standard.add_resource_dependency(self.hub)

        role = config_recorder_role(self, config)
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
            s3_bucket_name=log_bucket_name(config, "config"),
            config_snapshot_delivery_properties=config_.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"
            ),
        )


class OrganizationSecurity(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AccountsConfig,
        detector_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        org = config.organization
        region = org.home_region
        account = config.security_account_id

        # GuardDuty: auto-enable every current and future member with the protection plans.
        role = iam.Role(
            self,
            "GuardDutyOrgConfigRole",
            role_name=security_automation_role_name(config, "guardduty-org-config"),
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Applies the GuardDuty organization configuration (exempt from the "
            "security-services SCP by its name prefix)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaBasicExecutionRole"
                )
            ],
        )
        features = []
        for name in GUARDDUTY_FEATURES:
            feature: dict[str, object] = {"Name": name, "AutoEnable": "ALL"}
            if name == "RUNTIME_MONITORING":
                feature["AdditionalConfiguration"] = [
                    {"Name": RUNTIME_ADDITIONAL, "AutoEnable": "ALL"}
                ]
            features.append(feature)
        self.guardduty_org = OrganizationApiCall(
            self,
            "GuardDutyAutoEnable",
            service="GuardDuty",
            action="UpdateOrganizationConfiguration",
            parameters={
                "DetectorId": detector_id,
                "AutoEnableOrganizationMembers": "ALL",
                "Features": features,
            },
            physical_id=f"guardduty-org-config-{account}-{region}",
            role=role,
            statements=[
                iam.PolicyStatement(
                    actions=["guardduty:UpdateOrganizationConfiguration"],
                    resources=[f"arn:aws:guardduty:{region}:{account}:detector/{detector_id}"],
                ),
                iam.PolicyStatement(
                    # GuardDuty reads the organization to resolve members; these
                    # Organizations read actions have no resource-level scoping.
                    actions=[
                        "organizations:DescribeOrganization",
                        "organizations:ListAccounts",
                        "organizations:ListDelegatedAdministrators",
                        "organizations:ListAWSServiceAccessForOrganization",
                    ],
                    resources=["*"],
                ),
            ],
        )

        # Security Hub: central configuration applies FSBP + CIS to every account.
        self.aggregator = (
            securityhub.CfnFindingAggregator(
                self,
                "FindingAggregator",
                region_linking_mode="SPECIFIED_REGIONS",
                regions=[r for r in config.guardrails.allowed_regions if r != region],
            )
            if any(r != region for r in config.guardrails.allowed_regions)
            else None
        )
        self.hub_org = securityhub.CfnOrganizationConfiguration(
            self,
            "SecurityHubOrganization",
            auto_enable=False,
            auto_enable_standards="NONE",
            configuration_type="CENTRAL",
        )
        if self.aggregator is not None:
            self.hub_org.add_resource_dependency(self.aggregator)
        self.hub_policy = securityhub.CfnConfigurationPolicy(
            self,
            "SecurityHubPolicy",
            name="innovate-baseline",
            description="Security Hub on, AWS Foundational Security Best Practices and CIS",
            configuration_policy=securityhub.CfnConfigurationPolicy.PolicyProperty(
                security_hub=securityhub.CfnConfigurationPolicy.SecurityHubPolicyProperty(
                    service_enabled=True,
                    enabled_standard_identifiers=security_hub_standard_arns(config),
                    security_controls_configuration=securityhub.CfnConfigurationPolicy.SecurityControlsConfigurationProperty(
                        disabled_security_control_identifiers=[]
                    ),
                )
            ),
        )
        self.hub_policy.add_resource_dependency(self.hub_org)
        self.hub_association = securityhub.CfnPolicyAssociation(
            self,
            "SecurityHubPolicyAtRoot",
            configuration_policy_id=self.hub_policy.attr_id,
            target_id=org.root_id,
            target_type="ROOT",
        )

        # AWS Config: one aggregator over every account and allowed region.
        aggregator_role = iam.Role(
            self,
            "ConfigAggregatorRole",
            role_name=security_automation_role_name(config, "config-aggregator"),
            assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSConfigRoleForOrganizations"
                )
            ],
            description="Lets the AWS Config aggregator read the organization's accounts",
        )
        self.config_aggregator = config_.CfnConfigurationAggregator(
            self,
            "ConfigAggregator",
            configuration_aggregator_name="innovate-organization",
            organization_aggregation_source=config_.CfnConfigurationAggregator.OrganizationAggregationSourceProperty(
                role_arn=aggregator_role.role_arn,
                aws_regions=list(config.guardrails.allowed_regions),
                all_aws_regions=False,
            ),
        )

        # IAM Access Analyzer: external-access findings for the whole organization.
        self.analyzer = accessanalyzer.CfnAnalyzer(
            self, "OrganizationAnalyzer", analyzer_name="innovate-organization", type="ORGANIZATION"
        )
