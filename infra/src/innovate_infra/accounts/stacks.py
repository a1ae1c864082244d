"""Stacks of the management and security/logs accounts, and the order they deploy in.

Stateful resources (buckets, keys, log groups, the data lake) live in their own
stacks, apart from the stateless ones, so that a stateless change never risks
replacing data. Deploy order (``cdk deploy --all`` follows the dependencies):

1. Management/Organization: OUs, accounts, SCPs/RCPs/tag policies.
2. Management/Identity: Identity Center permission sets and assignments.
3. Security/LogArchive (stateful): archive key and buckets.
4. Security/Detection: the account's own GuardDuty detector, Security Hub, Config.
5. Management/AuditData (stateful): the trail's log group and its key.
6. Management/SecurityServices: organization trail, CIS alarms, trusted access,
   delegated administrators, Config recorders for workload accounts.
7. Security/Organization: GuardDuty auto-enable, Security Hub central config,
   Config aggregator, Access Analyzer.
8. Security/SecurityLake (stateful, only when ``security_lake.enabled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from aws_cdk import Environment, Stack
from constructs import Construct

from innovate_infra.accounts.cis_alarms import CisAlarms
from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.delegations import SecurityDelegations
from innovate_infra.accounts.detection import DetectionBaseline, OrganizationSecurity
from innovate_infra.accounts.identity_center import IdentityCenterAccess
from innovate_infra.accounts.log_archive import LogArchive
from innovate_infra.accounts.org_trail import AuditLogStore, OrganizationTrail
from innovate_infra.accounts.organization import GuardrailPolicies, OrganizationStructure
from innovate_infra.accounts.security_lake import SecurityLakeDataLake
from innovate_infra.tagging import apply_standard_tags

STACK_PREFIX = "Innovate"


SHARED_ENVIRONMENT = "shared"


def stack_tags(config: AccountsConfig, classification: str) -> dict[str, str]:
    """The tagging standard's keys for a shared (account-level) stack."""
    tagging = config.guardrails.tagging
    if SHARED_ENVIRONMENT not in tagging.environment:
        raise ValueError(f"tag_standard.environments must include {SHARED_ENVIRONMENT!r}")
    if classification not in tagging.data_classification:
        raise ValueError(f"{classification!r} is not in tag_standard.data_classifications")
    return {
        "Project": tagging.project[0],
        "Environment": SHARED_ENVIRONMENT,
        "Owner": tagging.owner[0],
        "CostCenter": config.guardrails.tagging.cost_center[0],
        "DataClassification": classification,
    }


class _AccountStack(Stack):
    """A stack of the management or security/logs account: home region, termination
    protection and the shared tag standard. Subclasses declare where it deploys
    (``ACCOUNT``), what it holds (``DESCRIPTION``) and its ``CLASSIFICATION``."""

    ACCOUNT: ClassVar[Literal["management", "security"]]
    DESCRIPTION: ClassVar[str]
    CLASSIFICATION: ClassVar[str]

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        account = (
            config.organization.management_account_id
            if self.ACCOUNT == "management"
            else config.security_account_id
        )
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=account, region=config.organization.home_region),
            description=self.DESCRIPTION,
            termination_protection=True,
        )
        apply_standard_tags(self, stack_tags(config, self.CLASSIFICATION))


class ManagementOrganizationStack(_AccountStack):
    ACCOUNT = "management"
    DESCRIPTION = "Organization OUs, member accounts, SCPs, RCPs and tag policies"
    CLASSIFICATION = "internal"

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id, config=config)
        self.structure = OrganizationStructure(self, "Structure", config=config)
        self.guardrails = GuardrailPolicies(
            self, "Guardrails", config=config, target_ids=self.structure.ou_ids
        )


class ManagementIdentityStack(_AccountStack):
    ACCOUNT = "management"
    DESCRIPTION = "IAM Identity Center permission sets and group assignments"
    CLASSIFICATION = "internal"

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id, config=config)
        self.access = IdentityCenterAccess(self, "IdentityCenter", config=config)


class SecurityLogArchiveStack(_AccountStack):
    ACCOUNT = "security"
    DESCRIPTION = "Organization log archive: KMS key and Object-Locked log buckets"
    CLASSIFICATION = "restricted"

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id, config=config)
        # Grant S3 server-access-log delivery by bucket policy, not the legacy
        # LogDeliveryWrite ACL (ACLs stay disabled: BucketOwnerEnforced).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.archive = LogArchive(self, "LogArchive", config=config)


class SecurityDetectionStack(_AccountStack):
    ACCOUNT = "security"
    DESCRIPTION = "Security account's own GuardDuty detector, Security Hub and Config"
    CLASSIFICATION = "internal"

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id, config=config)
        self.baseline = DetectionBaseline(self, "Baseline", config=config)


class ManagementAuditDataStack(_AccountStack):
    ACCOUNT = "management"
    DESCRIPTION = "Organization trail log group and audit KMS key (stateful)"
    CLASSIFICATION = "restricted"

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id, config=config)
        self.store = AuditLogStore(self, "AuditLogStore", config=config)


class ManagementSecurityServicesStack(_AccountStack):
    ACCOUNT = "management"
    DESCRIPTION = "Organization trail, CIS alarms, trusted access and delegated administrators"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AccountsConfig,
        audit_data: ManagementAuditDataStack,
        organization: ManagementOrganizationStack,
    ) -> None:
        super().__init__(scope, construct_id, config=config)
        self.delegations = SecurityDelegations(
            self,
            "Delegations",
            config=config,
            recorder_ou_ids=[organization.structure.ou_ids["Workloads"]],
        )
        self.trail = OrganizationTrail(
            self, "OrganizationTrail", config=config, log_group=audit_data.store.log_group
        )
        cloudtrail_access = next(
            call for call in self.delegations.trusted_access if call.node.id == "Trust-cloudtrail"
        )
        self.trail.trail.node.add_dependency(cloudtrail_access)
        self.alarms = CisAlarms(
            self,
            "CisAlarms",
            log_group=audit_data.store.log_group,
            topic_key=audit_data.store.key,
            alarm_email=config.audit.alarm_email,
        )


class SecurityOrganizationStack(_AccountStack):
    ACCOUNT = "security"
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
        config: AccountsConfig,
        detection: SecurityDetectionStack,
    ) -> None:
        super().__init__(scope, construct_id, config=config)
        self.security = OrganizationSecurity(
            self,
            "OrganizationSecurity",
            config=config,
            detector_id=detection.baseline.detector.ref,
        )


class SecurityLakeStack(_AccountStack):
    ACCOUNT = "security"
    DESCRIPTION = "Amazon Security Lake data lake, sources and Athena subscriber"
    CLASSIFICATION = "restricted"

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id, config=config)
        self.lake = SecurityLakeDataLake(self, "SecurityLake", config=config)


@dataclass(frozen=True)
class AccountStacks:
    organization: ManagementOrganizationStack
    identity: ManagementIdentityStack
    audit_data: ManagementAuditDataStack
    security_services: ManagementSecurityServicesStack
    log_archive: SecurityLogArchiveStack
    detection: SecurityDetectionStack
    security_organization: SecurityOrganizationStack
    security_lake: SecurityLakeStack | None

    def all(self) -> list[Stack]:
        stacks: list[Stack] = [
            self.organization,
            self.identity,
            self.log_archive,
            self.detection,
            self.audit_data,
            self.security_services,
            self.security_organization,
        ]
        if self.security_lake is not None:
            stacks.append(self.security_lake)
        return stacks


def build_account_stacks(
    scope: Construct, config: AccountsConfig, *, prefix: str = STACK_PREFIX
) -> AccountStacks:
    """Create every management and security/logs stack in ``scope`` (the CDK app)."""
    organization = ManagementOrganizationStack(
        scope, f"{prefix}-Management-Organization", config=config
    )
    identity = ManagementIdentityStack(scope, f"{prefix}-Management-Identity", config=config)
    identity.add_stack_dependency(organization)
    log_archive = SecurityLogArchiveStack(scope, f"{prefix}-Security-LogArchive", config=config)
    log_archive.add_stack_dependency(organization)
    detection = SecurityDetectionStack(scope, f"{prefix}-Security-Detection", config=config)
    detection.add_stack_dependency(log_archive)
    audit_data = ManagementAuditDataStack(scope, f"{prefix}-Management-AuditData", config=config)
    audit_data.add_stack_dependency(organization)
    security_services = ManagementSecurityServicesStack(
        scope,
        f"{prefix}-Management-SecurityServices",
        config=config,
        audit_data=audit_data,
        organization=organization,
    )
    security_services.add_stack_dependency(log_archive)
    security_services.add_stack_dependency(detection)
    security_organization = SecurityOrganizationStack(
        scope, f"{prefix}-Security-Organization", config=config, detection=detection
    )
    security_organization.add_stack_dependency(security_services)
    lake = None
    if config.security_lake.enabled:
        lake = SecurityLakeStack(scope, f"{prefix}-Security-SecurityLake", config=config)
        lake.add_stack_dependency(security_organization)
    return AccountStacks(
        organization=organization,
        identity=identity,
        audit_data=audit_data,
        security_services=security_services,
        log_archive=log_archive,
        detection=detection,
        security_organization=security_organization,
        security_lake=lake,
    )
