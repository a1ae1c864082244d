"""Threat detection in the security/logs account, second half: what the delegated
administrator configures for every account: GuardDuty auto-enable with protection
plans, Security Hub central configuration (FSBP + CIS), the Config organization
aggregator and the IAM Access Analyzer organization analyzer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_config as config_
from aws_cdk import aws_iam as iam
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct

from innovate_infra.constructs.detection.baseline import GUARDDUTY_FEATURES, RUNTIME_ADDITIONAL
from innovate_infra.constructs.organization.api_call import OrganizationApiCall

# Construct ids that suppressions select.
GUARDDUTY_ROLE_ID = "GuardDutyOrgConfigRole"
CONFIG_AGGREGATOR_ROLE_ID = "ConfigAggregatorRole"


@dataclass(frozen=True)
class OrganizationSecurityProps:
    region: str
    account: str
    """The security/logs account (the delegated administrator)."""
    root_id: str
    detector_id: str
    allowed_regions: Sequence[str]
    standard_arns: Sequence[str]
    guardduty_role_name: str
    aggregator_role_name: str
    security_hub_policy_name: str
    aggregator_name: str
    analyzer_name: str


class OrganizationSecurity(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: OrganizationSecurityProps,
    ) -> None:
        super().__init__(scope, construct_id)
        region = props.region
        account = props.account
        detector_id = props.detector_id
        allowed_regions = list(props.allowed_regions)

        # GuardDuty: auto-enable every current and future member with the protection plans.
        role = iam.Role(
            self,
            GUARDDUTY_ROLE_ID,
            role_name=props.guardduty_role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Applies the GuardDuty organization configuration (exempt from the "
            "security-services SCP by its name prefix)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaBasicExecutionRole"
                )
            ],
        )
        self.guardduty_org = guardduty_auto_enable(
            self, role=role, detector_id=detector_id, account=account, region=region
        )

        # Security Hub: central configuration applies FSBP + CIS to every account.
        self.aggregator = (
            securityhub.CfnFindingAggregator(
                self,
                "FindingAggregator",
                region_linking_mode="SPECIFIED_REGIONS",
                regions=[r for r in allowed_regions if r != region],
            )
            if any(r != region for r in allowed_regions)
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
            name=props.security_hub_policy_name,
            description="Security Hub on, AWS Foundational Security Best Practices and CIS",
            configuration_policy=securityhub.CfnConfigurationPolicy.PolicyProperty(
                security_hub=securityhub.CfnConfigurationPolicy.SecurityHubPolicyProperty(
                    service_enabled=True,
                    enabled_standard_identifiers=list(props.standard_arns),
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
            target_id=props.root_id,
            target_type="ROOT",
        )

        # AWS Config: one aggregator over every account and allowed region.
        aggregator_role = iam.Role(
            self,
            CONFIG_AGGREGATOR_ROLE_ID,
            role_name=props.aggregator_role_name,
            # Confused deputy: only Config acting for this (the aggregator's) account.
            assumed_by=iam.ServicePrincipal(
                "config.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            ),
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
            configuration_aggregator_name=props.aggregator_name,
            organization_aggregation_source=config_.CfnConfigurationAggregator.OrganizationAggregationSourceProperty(
                role_arn=aggregator_role.role_arn,
                aws_regions=allowed_regions,
                all_aws_regions=False,
            ),
        )

        # IAM Access Analyzer: external-access findings for the whole organization.
        self.analyzer = accessanalyzer.CfnAnalyzer(
            self, "OrganizationAnalyzer", analyzer_name=props.analyzer_name, type="ORGANIZATION"
        )


def guardduty_auto_enable(
    scope: Construct, *, role: iam.IRole, detector_id: str, account: str, region: str
) -> OrganizationApiCall:
    """``UpdateOrganizationConfiguration`` from the delegated administrator: every member
    account, every protection plan (no CloudFormation resource exists for it)."""
    features: list[dict[str, object]] = []
    for name in GUARDDUTY_FEATURES:
        feature: dict[str, object] = {"Name": name, "AutoEnable": "ALL"}
        if name == "RUNTIME_MONITORING":
            feature["AdditionalConfiguration"] = [{"Name": RUNTIME_ADDITIONAL, "AutoEnable": "ALL"}]
        features.append(feature)
    return OrganizationApiCall(
        scope,
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
