"""Management-account half of the security services: trusted access for AWS
services, the security/logs account as their delegated administrator, and the
AWS Config recorder in every workload account (a service-managed StackSet).

Order matters and is encoded as dependencies: trusted access, then delegation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import aws_cloudformation as cfn
from aws_cdk import aws_iam as iam
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct

from innovate_infra.constructs.detection.baseline import ConfigDelivery, config_delivery_statements
from innovate_infra.constructs.organization.api_call import OrganizationApiCall

# Services that need trusted access to the organization.
TRUSTED_SERVICES = (
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
)
# Delegated through Organizations' generic API (GuardDuty and Security Hub have their own).
ORGANIZATIONS_DELEGATED = ("config.amazonaws.com", "access-analyzer.amazonaws.com")
SECURITY_LAKE_SERVICE = "securitylake.amazonaws.com"
CONFIG_ROLE_POLICY = "service-role/AWS_ConfigRole"


@dataclass(frozen=True)
class SecurityDelegationsProps:
    management_account_id: str
    organization_id: str
    security_account_id: str
    """The delegated administrator."""
    region: str
    security_lake: bool
    """Also trust and delegate Security Lake."""
    allowed_regions: Sequence[str]
    recorder_ou_ids: Sequence[str]
    """OUs whose accounts get the Config recorder in every allowed region (StackSet targets)."""
    regional_recorder_ou_ids: Sequence[str]
    """OUs whose accounts record the home region with their own stack (the security/logs
    account's Detection stack) and get the recorder from the StackSet in the other regions."""
    config_recorder_stack_set_name: str
    config_recorder_role_name: str
    config_delivery: ConfigDelivery


class SecurityDelegations(Construct):
    # Construct ids that suppressions select (calls whose actions take only Resource "*").
    STACKSETS_ACCESS_ID: ClassVar[str] = "Trust-stacksets"
    GUARDDUTY_DELEGATION_ID: ClassVar[str] = "Delegate-guardduty"

    def __init__(
        self, scope: Construct, construct_id: str, *, props: SecurityDelegationsProps
    ) -> None:
        super().__init__(scope, construct_id)
        security = props.security_account_id
        account_arn = (
            f"arn:aws:organizations::{props.management_account_id}:account/"
            f"{props.organization_id}/{security}"
        )
        org_reads = iam.PolicyStatement(
            # Organizations read actions support only Resource "*".
            actions=[
                "organizations:DescribeOrganization",
                "organizations:ListAWSServiceAccessForOrganization",
                "organizations:ListDelegatedAdministrators",
            ],
            resources=["*"],
        )
        trusted = list(TRUSTED_SERVICES)
        if props.security_lake:
            trusted.append(SECURITY_LAKE_SERVICE)
        # Service principal -> its trusted-access call.
        self.trusted_access: dict[str, OrganizationApiCall] = {}
        for service in trusted:
            self.trusted_access[service] = OrganizationApiCall(
                self,
                "Trust-" + service.split(".amazonaws.com")[0],
                service="Organizations",
                action="EnableAWSServiceAccess",
                parameters={"ServicePrincipal": service},
                physical_id=f"trusted-access-{service}",
                statements=[
                    iam.PolicyStatement(
                        # EnableAWSServiceAccess has no resource-level scoping.
                        actions=["organizations:EnableAWSServiceAccess"],
                        resources=["*"],
                    ),
                    iam.PolicyStatement(
                        actions=["iam:CreateServiceLinkedRole"],
                        resources=["*"],
                        conditions={"StringEquals": {"iam:AWSServiceName": service}},
                    ),
                    org_reads,
                ],
            )
        self.stacksets_access = OrganizationApiCall(
            self,
            self.STACKSETS_ACCESS_ID,
            service="CloudFormation",
            action="ActivateOrganizationsAccess",
            parameters={},
            physical_id="cloudformation-organizations-access",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "cloudformation:ActivateOrganizationsAccess",
                        "organizations:EnableAWSServiceAccess",
                        "organizations:RegisterDelegatedAdministrator",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=["*"],
                    conditions={
                        "StringLike": {
                            "iam:AWSServiceName": "*stacksets.cloudformation.amazonaws.com"
                        }
                    },
                ),
                org_reads,
            ],
        )

        self.delegations: dict[str, Construct] = {}
        for service in ORGANIZATIONS_DELEGATED:
            self.delegations[service] = OrganizationApiCall(
                self,
                "Delegate-" + service.split(".amazonaws.com")[0],
                service="Organizations",
                action="RegisterDelegatedAdministrator",
                parameters={"AccountId": security, "ServicePrincipal": service},
                physical_id=f"delegated-admin-{service}-{security}",
                ignore_errors="AccountAlreadyRegisteredException",
                statements=[
                    iam.PolicyStatement(
                        actions=["organizations:RegisterDelegatedAdministrator"],
                        resources=[account_arn],
                    ),
                    org_reads,
                ],
            )
        self.delegations["guardduty.amazonaws.com"] = OrganizationApiCall(
            self,
            self.GUARDDUTY_DELEGATION_ID,
            service="GuardDuty",
            action="EnableOrganizationAdminAccount",
            parameters={"AdminAccountId": security},
            physical_id=f"delegated-admin-guardduty-{security}",
            statements=[
                iam.PolicyStatement(
                    actions=["guardduty:EnableOrganizationAdminAccount"], resources=["*"]
                ),
                iam.PolicyStatement(
                    actions=[
                        "organizations:EnableAWSServiceAccess",
                        "organizations:RegisterDelegatedAdministrator",
                    ],
                    resources=["*"],
                ),
                org_reads,
            ],
        )
        hub_admin = securityhub.CfnDelegatedAdmin(
            self, "Delegate-securityhub", admin_account_id=security
        )
        self.delegations["securityhub.amazonaws.com"] = hub_admin
        if props.security_lake:
            self.delegations[SECURITY_LAKE_SERVICE] = OrganizationApiCall(
                self,
                "Delegate-securitylake",
                service="SecurityLake",
                action="RegisterDataLakeDelegatedAdministrator",
                parameters={"AccountId": security},
                physical_id=f"delegated-admin-securitylake-{security}",
                statements=[
                    iam.PolicyStatement(
                        actions=["securitylake:RegisterDataLakeDelegatedAdministrator"],
                        resources=["*"],
                    ),
                    iam.PolicyStatement(
                        actions=["organizations:RegisterDelegatedAdministrator"],
                        resources=[account_arn],
                    ),
                    org_reads,
                ],
            )
        for delegation in self.delegations.values():
            for access in self.trusted_access.values():
                delegation.node.add_dependency(access)

        self.config_recorders = cfn.CfnStackSet(
            self,
            "ConfigRecorders",
            stack_set_name=props.config_recorder_stack_set_name,
            description="AWS Config recorder and delivery to the log archive in every workload "
            "account",
            permission_model="SERVICE_MANAGED",
            auto_deployment=cfn.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cfn.CfnStackSet.OperationPreferencesProperty(
                failure_tolerance_count=0,
                max_concurrent_count=1,
                # The home region's instance creates the (global) recorder role first.
                region_order=[
                    props.region,
                    *(r for r in props.allowed_regions if r != props.region),
                ],
            ),
            stack_instances_group=self._recorder_instances(props),
            template_body=json.dumps(
                config_recorder_template(
                    props.config_recorder_role_name, props.config_delivery, props.region
                ),
                separators=(",", ":"),
            ),
        )
        self.config_recorders.node.add_dependency(self.stacksets_access)

    @staticmethod
    def _recorder_instances(
        props: SecurityDelegationsProps,
    ) -> list[cfn.CfnStackSet.StackInstancesProperty]:
        groups = [
            cfn.CfnStackSet.StackInstancesProperty(
                deployment_targets=cfn.CfnStackSet.DeploymentTargetsProperty(
                    organizational_unit_ids=list(props.recorder_ou_ids)
                ),
                regions=list(props.allowed_regions),
            )
        ]
        other_regions = [r for r in props.allowed_regions if r != props.region]
        if props.regional_recorder_ou_ids and other_regions:
            groups.append(
                cfn.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cfn.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(props.regional_recorder_ou_ids)
                    ),
                    regions=other_regions,
                )
            )
        return groups


HOME_REGION_CONDITION = "IsHomeRegion"


def config_recorder_template(
    role_name: str, delivery: ConfigDelivery, home_region: str
) -> dict[str, object]:
    """CloudFormation template each member account runs in each region (through the
    StackSet). IAM is global: the recorder role is created in the home region only and
    global resource types (IAM) are recorded there only, so no item is recorded twice."""
    account = {"Ref": "AWS::AccountId"}
    role_arn = {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role_name}"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AWS Config recorder delivering to the organization log archive",
        "Conditions": {
            HOME_REGION_CONDITION: {"Fn::Equals": [{"Ref": "AWS::Region"}, home_region]}
        },
        "Resources": {
            "RecorderRole": {
                "Type": "AWS::IAM::Role",
                "Condition": HOME_REGION_CONDITION,
                "Properties": {
                    "RoleName": role_name,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "config.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                # Confused deputy: Config acting for this account only.
                                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                            }
                        ],
                    },
                    "ManagedPolicyArns": [
                        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + CONFIG_ROLE_POLICY}
                    ],
                    "Policies": [
                        {
                            "PolicyName": "DeliverToTheLogArchive",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": config_delivery_statements(delivery, account),
                            },
                        }
                    ],
                },
            },
            "Recorder": {
                "Type": "AWS::Config::ConfigurationRecorder",
                "Properties": {
                    "Name": "default",
                    "RoleARN": role_arn,
                    "RecordingGroup": {
                        "AllSupported": True,
                        "IncludeGlobalResourceTypes": {
                            "Fn::If": [HOME_REGION_CONDITION, True, False]
                        },
                    },
                },
            },
            "DeliveryChannel": {
                "Type": "AWS::Config::DeliveryChannel",
                # Config refuses a delivery channel before a recorder exists.
                "DependsOn": ["Recorder"],
                "Properties": {
                    "Name": "default",
                    "S3BucketName": delivery.bucket_name,
                    "ConfigSnapshotDeliveryProperties": {"DeliveryFrequency": "TwentyFour_Hours"},
                },
            },
        },
    }
