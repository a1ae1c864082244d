"""Management account: the organization trail's stateful store, and the security
services run from the management account (trail, CIS alarms, trusted access, delegated
administrators, Config recorders for the workload accounts)."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.audit.cis_alarms import CisAlarms
from innovate_infra.constructs.audit.trail import (
    AuditLogStore,
    AuditLogStoreProps,
    OrganizationTrail,
    OrganizationTrailProps,
)
from innovate_infra.constructs.detection.baseline import ConfigRecorder
from innovate_infra.constructs.organization.delegations import (
    SecurityDelegations,
    SecurityDelegationsProps,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.detection import config_delivery
from innovate_infra.stacks.accounts.organization import OrganizationStack
from innovate_infra.stacks.base import PlatformStack, StackSettings


class AuditDataStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "management"
    PURPOSE = "audit-data"
    DESCRIPTION = "Organization trail log group and audit KMS key (stateful)"
    CLASSIFICATION = "restricted"

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
        self.store = AuditLogStore(
            self,
            "AuditLogStore",
            props=AuditLogStoreProps(
                region=platform.home_region,
                account=platform.account_id("management"),
                key_alias=naming.audit_key_alias,
                key_admin_principal_arns=naming.key_admin_principal_arns(
                    platform.account_id("management"), platform.home_region
                ),
                log_group_name=naming.trail_log_group_name,
                retention_days=platform.accounts.audit.cloudwatch_retention_days,
            ),
        )


class SecurityServicesStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "management"
    PURPOSE = "security-services"
    DESCRIPTION = "Organization trail, CIS alarms, trusted access and delegated administrators"
    CLASSIFICATION = "internal"
    DELEGATIONS_ID: ClassVar[str] = "Delegations"
    TRAIL_ID: ClassVar[str] = "OrganizationTrail"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        platform: PlatformConfig,
        naming: Naming,
        audit_data: AuditDataStack,
        organization: OrganizationStack,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        accounts = platform.accounts
        self.delegations = SecurityDelegations(
            self,
            self.DELEGATIONS_ID,
            props=SecurityDelegationsProps(
                management_account_id=platform.account_id("management"),
                organization_id=accounts.organization.organization_id,
                security_account_id=platform.account_id("security"),
                region=platform.home_region,
                allowed_regions=platform.organization.allowed_regions,
                security_lake=accounts.security_lake.enabled,
                recorder_ou_ids=[organization.structure.ou_ids["Workloads"]],
                regional_recorder_ou_ids=[
                    organization.structure.ou_ids[accounts.accounts["security"].ou]
                ],
                config_recorder_stack_set_name=naming.config_recorder_stack_set_name,
                config_recorder_role_name=naming.security_role_name("config-recorder"),
                config_delivery=config_delivery(platform, naming),
            ),
        )
        # Service-managed StackSets never deploy to the management account: it records
        # its own home region here.
        self.config_recorder = ConfigRecorder(
            self,
            role_name=naming.security_role_name("config-recorder"),
            account=platform.account_id("management"),
            delivery=config_delivery(platform, naming),
            include_global_resource_types=True,
        )
        log_group = audit_data.store.log_group
        self.trail = OrganizationTrail(
            self,
            self.TRAIL_ID,
            props=OrganizationTrailProps(
                trail_name=naming.organization_trail_name,
                role_name=naming.security_role_name("cloudtrail-to-logs"),
                log_group=log_group,
                log_group_name=naming.trail_log_group_name,
                bucket_name=naming.log_bucket_name("cloudtrail"),
                kms_key_arn=naming.log_archive_key_alias_arn,
                sensitive_data_bucket_prefixes=accounts.audit.sensitive_data_bucket_prefixes,
            ),
        )
        # An organization trail needs CloudTrail's trusted access first.
        self.trail.trail.node.add_dependency(
            self.delegations.trusted_access["cloudtrail.amazonaws.com"]
        )
        self.alarms = CisAlarms(
            self,
            "CisAlarms",
            log_group=log_group,
            topic_key=audit_data.store.key,
            alarm_email=accounts.audit.alarm_email,
            metric_namespace=naming.alarm_metric_namespace,
            topic_display_name=naming.alarm_topic_display_name,
        )
