"""Detection in the allowed regions other than the home region (issue #8, item 11).

GuardDuty is regional: "To maintain a security posture for your organization's member
accounts in a Region, you must have a delegated GuardDuty administrator account in that
Region" (GuardDuty User Guide, "Managing GuardDuty accounts with AWS Organizations"), and
neither the delegation nor the organization auto-enable has a CloudFormation resource.
So, per extra region, in the order the home region uses:

1. ``<project>-security-detection-<region>``: the security/logs account's detector, before
   the delegation (which would otherwise switch GuardDuty on and make a later detector fail);
2. ``<project>-management-delegation-<region>``: ``EnableOrganizationAdminAccount`` in that
   region, and the management account's own Config recorder there (its role is global and
   created by the home region's security-services stack; global resource types are
   recorded in the home region only);
3. ``<project>-security-organization-<region>``: ``UpdateOrganizationConfiguration``
   (auto-enable every account with the protection plans).

Config recorders of the member accounts come from the StackSet (every allowed region);
Security Hub's central configuration reaches the linked regions from the home region.
"""

from __future__ import annotations

from typing import ClassVar

from aws_cdk import aws_iam as iam
from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.detection.baseline import (
    ConfigDelivery,
    guardduty_detector,
    recorder_with_channel,
)
from innovate_infra.constructs.detection.organization import guardduty_auto_enable
from innovate_infra.constructs.organization.api_call import OrganizationApiCall
from innovate_infra.stacks.base import PlatformStack, StackSettings

REGIONAL_GUARDDUTY_ROLE_ID = "GuardDutyOrgConfigRole"


class RegionalDetectionStack(PlatformStack):
    """The security/logs account's GuardDuty detector in one extra region."""

    ACCOUNT: ClassVar[AccountKey] = "security"
    PURPOSE = "detection"
    DESCRIPTION = "Security account's GuardDuty detector in an allowed region other than home"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        finding_frequency: str,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self.detector = guardduty_detector(self, finding_frequency)


class RegionalDelegationStack(PlatformStack):
    """The management account's half in one extra region."""

    ACCOUNT: ClassVar[AccountKey] = "management"
    PURPOSE = "delegation"
    DESCRIPTION = (
        "GuardDuty delegated administrator and the management account's Config "
        "recorder in an allowed region other than home"
    )
    CLASSIFICATION = "internal"
    DELEGATION_ID: ClassVar[str] = "Delegate-guardduty"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        security_account_id: str,
        recorder_role_name: str,
        delivery: ConfigDelivery,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self.delegation = OrganizationApiCall(
            self,
            self.DELEGATION_ID,
            service="GuardDuty",
            action="EnableOrganizationAdminAccount",
            parameters={"AdminAccountId": security_account_id},
            physical_id=f"delegated-admin-guardduty-{security_account_id}-{settings.region}",
            statements=[
                iam.PolicyStatement(
                    actions=["guardduty:EnableOrganizationAdminAccount"], resources=["*"]
                ),
                iam.PolicyStatement(
                    actions=[
                        "organizations:EnableAWSServiceAccess",
                        "organizations:RegisterDelegatedAdministrator",
                        "organizations:DescribeOrganization",
                        "organizations:ListAWSServiceAccessForOrganization",
                        "organizations:ListDelegatedAdministrators",
                    ],
                    resources=["*"],
                ),
            ],
        )
        self.recorder, self.delivery_channel = recorder_with_channel(
            self,
            role_arn=f"arn:aws:iam::{settings.account}:role/{recorder_role_name}",
            bucket_name=delivery.bucket_name,
            include_global_resource_types=False,
        )


class RegionalOrganizationStack(PlatformStack):
    """GuardDuty auto-enable for the organization in one extra region (delegated admin)."""

    ACCOUNT: ClassVar[AccountKey] = "security"
    PURPOSE = "organization"
    DESCRIPTION = "Organization-wide GuardDuty auto-enable in an allowed region other than home"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        detection: RegionalDetectionStack,
        role_name: str,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        region = settings.region
        account = settings.account
        detector_id = detection.detector.ref
        role = iam.Role(
            self,
            REGIONAL_GUARDDUTY_ROLE_ID,
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Applies the GuardDuty organization configuration in this region "
            "(exempt from the security-services SCP by its name prefix)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaBasicExecutionRole"
                )
            ],
        )
        self.guardduty_org = guardduty_auto_enable(
            self, role=role, detector_id=detector_id, account=account, region=region
        )
