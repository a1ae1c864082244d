"""Security/logs account: its own detection baseline, then the organization-wide
configuration it makes as delegated administrator (two stacks: the management
account's delegation step deploys between them)."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.detection.baseline import (
    ConfigDelivery,
    DetectionBaseline,
    DetectionBaselineProps,
    security_hub_standard_arns,
)
from innovate_infra.constructs.detection.organization import (
    OrganizationSecurity,
    OrganizationSecurityProps,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


def config_delivery(platform: PlatformConfig, naming: Naming) -> ConfigDelivery:
    """Every recorder of the organization delivers to the archive's Config bucket."""
    return ConfigDelivery(
        bucket_name=naming.log_bucket_name("config"),
        key_account=platform.account_id("security"),
        key_region=platform.home_region,
        key_alias=naming.log_archive_key_alias,
    )


def _standard_arns(platform: PlatformConfig) -> list[str]:
    return security_hub_standard_arns(
        platform.home_region, platform.accounts.detection.cis_standard_version
    )


class DetectionStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "security"
    PURPOSE = "detection"
    DESCRIPTION = "Security account's own GuardDuty detector, Security Hub and Config"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        platform: PlatformConfig,
        naming: Naming,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self.baseline = DetectionBaseline(
            self,
            "Baseline",
            props=DetectionBaselineProps(
                finding_frequency=platform.accounts.detection.guardduty_finding_frequency,
                standard_arns=_standard_arns(platform),
                account=platform.account_id("security"),
                config_recorder_role_name=naming.security_role_name("config-recorder"),
                config_delivery=config_delivery(platform, naming),
            ),
        )


class SecurityOrganizationStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "security"
    PURPOSE = "organization"
    DESCRIPTION = (
        "Organization-wide GuardDuty, Security Hub, Config aggregator and "
        "Access Analyzer (delegated administrator)"
    )
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        platform: PlatformConfig,
        naming: Naming,
        detection: DetectionStack,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self.security = OrganizationSecurity(
            self,
            "OrganizationSecurity",
            props=OrganizationSecurityProps(
                region=platform.home_region,
                account=platform.account_id("security"),
                root_id=platform.accounts.organization.root_id,
                detector_id=detection.baseline.detector.ref,
                allowed_regions=platform.organization.allowed_regions,
                standard_arns=_standard_arns(platform),
                guardduty_role_name=naming.security_role_name("guardduty-org-config"),
                aggregator_role_name=naming.security_role_name("config-aggregator"),
                security_hub_policy_name=naming.security_hub_policy_name,
                aggregator_name=naming.organization_aggregator_name,
                analyzer_name=naming.organization_analyzer_name,
            ),
        )
