"""The deployable units: one Stage for the account-level stacks, one per environment.

A Stage is what a CDK Pipeline deploys. Stacks depend on each other only inside a
stage (CDK refuses dependencies and references across stage boundaries), so every
account-level stack, whichever account it lands in, shares one stage: their deploy
order crosses the management and security/logs accounts. The environments reach the
archive by name, not by reference, so they are independent stages.

Construct ids and stack names are frozen (``tests/stacks/test_stable_ids.py``):
renaming either replaces resources.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from aws_cdk import Environment, Stage
from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.environment import EnvironmentConfig
from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.delivery.deployer import DeployTarget
from innovate_infra.constructs.logging.log_archive import LogArchiveDestination
from innovate_infra.constructs.network.vpc import (
    DnsFirewallSettings,
    FirewallSettings,
    NetworkProps,
)
from innovate_infra.naming import NETWORK_LOGS, Naming
from innovate_infra.stacks.accounts.audit import AuditDataStack, SecurityServicesStack
from innovate_infra.stacks.accounts.detection import (
    DetectionStack,
    SecurityOrganizationStack,
    config_delivery,
)
from innovate_infra.stacks.accounts.identity import IdentityStack
from innovate_infra.stacks.accounts.log_archive import LogArchiveStack
from innovate_infra.stacks.accounts.organization import OrganizationStack
from innovate_infra.stacks.accounts.regional import (
    RegionalDelegationStack,
    RegionalDetectionStack,
    RegionalOrganizationStack,
)
from innovate_infra.stacks.accounts.security_lake import SecurityLakeStack
from innovate_infra.stacks.base import PlatformStack, StackSettings
from innovate_infra.stacks.delivery.artifacts import (
    DeliveryArtifactsStack,
    DeliveryArtifactsStackProps,
)
from innovate_infra.stacks.delivery.infrastructure import (
    InfrastructurePipelineStack,
    InfrastructurePipelineStackProps,
    PipelineStage,
)
from innovate_infra.stacks.delivery.pipeline import (
    DeliveryPipelineStack,
    DeliveryPipelineStackProps,
    Release,
)
from innovate_infra.stacks.delivery.replica import (
    InfrastructurePipelineReplicaStack,
    InfrastructurePipelineReplicaStackProps,
)
from innovate_infra.stacks.delivery.target import DeliveryTargetStack, DeliveryTargetStackProps
from innovate_infra.stacks.environment.keys import KeysStack, KeysStackProps
from innovate_infra.stacks.environment.logging import LoggingStack, LoggingStackProps
from innovate_infra.stacks.environment.monitoring import MonitoringStack, MonitoringStackProps
from innovate_infra.stacks.environment.network import NetworkStack, NetworkStackProps

ACCOUNTS_STAGE = "accounts"
DELIVERY_STAGE = "delivery"
PIPELINE_STAGE = "pipeline"
# The CDK CLI the infrastructure pipeline installs (the version infra/package.json pins).
CDK_CLI_VERSION = "2.1148.1"
# Key prefix of the environments' Route 53 Resolver query logs in the network-log bucket.
DNS_QUERY_LOGS_PREFIX = "dns-query-logs"


class _AccountStackClass(Protocol):
    """What an account stack class declares about itself."""

    @property
    def ACCOUNT(self) -> AccountKey: ...
    @property
    def PURPOSE(self) -> str: ...
    @property
    def DESCRIPTION(self) -> str: ...
    @property
    def CLASSIFICATION(self) -> str: ...


class AccountsStage(Stage):
    """The management and security/logs account stacks, and the order they deploy in.

    Stateful resources (buckets, keys, log groups, the data lake) live in their own
    stacks, apart from the stateless ones, so that a stateless change never risks
    replacing data. ``cdk deploy 'accounts/*'`` follows the dependencies:

    1. management-organization: OUs, accounts, SCPs/RCPs/tag policies.
    2. management-identity: Identity Center permission sets and assignments.
    3. security-log-archive (stateful): archive key and buckets.
    4. security-detection: the account's own GuardDuty detector, Security Hub, Config.
    5. management-audit-data (stateful): the trail's log group and its key.
    6. management-security-services: organization trail, CIS alarms, trusted access,
       delegated administrators, Config recorders for workload accounts.
    7. security-organization: GuardDuty auto-enable, Security Hub central config,
       Config aggregator, Access Analyzer.
    8. security-lake (stateful, only when ``security_lake.enabled``).

    Per allowed region other than home: security-detection-<region>, then
    management-delegation-<region>, then security-organization-<region> (GuardDuty is
    regional; ``stacks/accounts/regional.py``).
    """

    def __init__(self, scope: Construct, *, platform: PlatformConfig, naming: Naming) -> None:
        super().__init__(scope, ACCOUNTS_STAGE)
        self._platform = platform
        self._naming = naming

        self.organization = OrganizationStack(
            self,
            "ManagementOrganization",
            settings=self._settings(OrganizationStack),
            platform=platform,
            naming=naming,
        )
        self.identity = IdentityStack(
            self,
            "ManagementIdentity",
            settings=self._settings(IdentityStack),
            platform=platform,
            naming=naming,
        )
        self.identity.add_stack_dependency(self.organization)
        self.log_archive = LogArchiveStack(
            self,
            "SecurityLogArchive",
            settings=self._settings(LogArchiveStack),
            platform=platform,
            naming=naming,
        )
        self.log_archive.add_stack_dependency(self.organization)
        self.detection = DetectionStack(
            self,
            "SecurityDetection",
            settings=self._settings(DetectionStack),
            platform=platform,
            naming=naming,
        )
        self.detection.add_stack_dependency(self.log_archive)
        self.audit_data = AuditDataStack(
            self,
            "ManagementAuditData",
            settings=self._settings(AuditDataStack),
            platform=platform,
            naming=naming,
        )
        self.audit_data.add_stack_dependency(self.organization)
        self.security_services = SecurityServicesStack(
            self,
            "ManagementSecurityServices",
            settings=self._settings(SecurityServicesStack),
            audit_data=self.audit_data,
            organization=self.organization,
            platform=platform,
            naming=naming,
        )
        self.security_services.add_stack_dependency(self.log_archive)
        self.security_services.add_stack_dependency(self.detection)
        self.security_organization = SecurityOrganizationStack(
            self,
            "SecurityOrganization",
            settings=self._settings(SecurityOrganizationStack),
            detection=self.detection,
            platform=platform,
            naming=naming,
        )
        self.security_organization.add_stack_dependency(self.security_services)
        # Item 11: GuardDuty (delegation, detector, auto-enable) and the management
        # account's Config recorder in every other allowed region.
        self.regional: list[PlatformStack] = []
        for region in platform.organization.allowed_regions:
            if region == platform.home_region:
                continue
            suffix = "".join(part.capitalize() for part in region.split("-"))
            detector = RegionalDetectionStack(
                self,
                f"SecurityDetection{suffix}",
                settings=self._settings(RegionalDetectionStack, region),
                finding_frequency=platform.accounts.detection.guardduty_finding_frequency,
            )
            detector.add_stack_dependency(self.detection)
            delegation = RegionalDelegationStack(
                self,
                f"ManagementDelegation{suffix}",
                settings=self._settings(RegionalDelegationStack, region),
                security_account_id=platform.account_id("security"),
                recorder_role_name=naming.security_role_name("config-recorder"),
                delivery=config_delivery(platform, naming),
            )
            # After the detector exists, and after the home region's security services
            # (trusted access, the global recorder role).
            delegation.add_stack_dependency(detector)
            delegation.add_stack_dependency(self.security_services)
            auto_enable = RegionalOrganizationStack(
                self,
                f"SecurityOrganization{suffix}",
                settings=self._settings(RegionalOrganizationStack, region),
                detection=detector,
                role_name=naming.security_role_name(f"guardduty-org-config-{region}"),
            )
            auto_enable.add_stack_dependency(delegation)
            self.regional += [detector, delegation, auto_enable]
        self.security_lake: SecurityLakeStack | None = None
        if platform.accounts.security_lake.enabled:
            self.security_lake = SecurityLakeStack(
                self,
                "SecurityLake",
                settings=self._settings(SecurityLakeStack),
                platform=platform,
                naming=naming,
            )
            self.security_lake.add_stack_dependency(self.security_organization)

    def _settings(self, stack: _AccountStackClass, region: str | None = None) -> StackSettings:
        """``region``: an allowed region other than home (its stacks' names end in it)."""
        platform = self._platform
        purpose = stack.PURPOSE if region is None else f"{stack.PURPOSE}-{region}"
        return StackSettings(
            name=self._naming.stack_name(stack.ACCOUNT, purpose),
            account=platform.account_id(stack.ACCOUNT),
            region=region or platform.home_region,
            description=stack.DESCRIPTION,
            # Guardrails are switched off deliberately, never by deleting a stack.
            termination_protection=True,
            tags=platform.shared_tags(stack.CLASSIFICATION),
        )

    def stacks(self) -> list[PlatformStack]:
        """Every stack of the stage, in deploy order."""
        stacks: list[PlatformStack] = [
            self.organization,
            self.identity,
            self.log_archive,
            self.detection,
            self.audit_data,
            self.security_services,
            self.security_organization,
            *self.regional,
        ]
        if self.security_lake is not None:
            stacks.append(self.security_lake)
        return stacks


class EnvironmentStage(Stage):
    """dev, staging or prod, in its workload account and region.

    Stateful stacks (keys, log groups) are separate from the stateless network and
    monitoring (alarm topic, alarms).
    """

    def __init__(
        self,
        scope: Construct,
        *,
        platform: PlatformConfig,
        naming: Naming,
        env: EnvironmentConfig,
    ) -> None:
        super().__init__(
            scope,
            env.name,
            env=Environment(account=platform.environment_account_id(env), region=env.region),
        )
        self._platform = platform
        self._naming = naming
        self._env = env
        retain = env.retain_stateful_resources
        firewall_on = env.network.network_firewall.enabled

        self.keys = KeysStack(
            self,
            "Keys",
            settings=self._settings(KeysStack),
            props=KeysStackProps(naming=naming, environment=env.name, retain=retain),
        )
        self.logging = LoggingStack(
            self,
            "Logging",
            settings=self._settings(LoggingStack),
            props=LoggingStackProps(
                naming=naming,
                environment=env.name,
                logs_key=self.keys.logs_key,
                retention_days=env.logging.retention_days,
                retain=retain,
                network_firewall=firewall_on,
            ),
        )
        archive = platform.accounts.log_archive
        alert_group = self.logging.firewall_alerts
        subnets = env.network.subnet_prefix_lengths
        self.network = NetworkStack(
            self,
            "Network",
            settings=self._settings(NetworkStack),
            props=NetworkStackProps(
                network=NetworkProps(
                    name_prefix=naming.prefix(env.name),
                    cidr=str(env.network.vpc_cidr),
                    availability_zones=env.availability_zones,
                    public_prefix_length=subnets.public,
                    private_prefix_length=subnets.private,
                    isolated_prefix_length=subnets.isolated,
                    firewall_prefix_length=subnets.firewall,
                    nat_gateways=env.network.nat_gateways,
                    flow_log_group=self.logging.flow_logs,
                    organization_id=platform.accounts.organization.organization_id,
                    log_archive=LogArchiveDestination(
                        bucket_name=naming.log_bucket_name(NETWORK_LOGS),
                        flow_logs_prefix=f"{archive.flow_logs_prefix}/{env.name}",
                        network_firewall_prefix=f"{archive.network_firewall_prefix}/{env.name}",
                        dns_query_logs_prefix=f"{DNS_QUERY_LOGS_PREFIX}/{env.name}",
                    ),
                    dns_firewall=DnsFirewallSettings(
                        allowed_domains=platform.allowed_domains(env),
                        own_domain=env.domain_name,
                        managed_domain_list_ids=env.network.dns_firewall.managed_domain_list_ids,
                        threat_confidence=env.network.dns_firewall.threat_confidence,
                    ),
                    firewall=(
                        FirewallSettings(
                            allowed_domains=platform.allowed_domains(env),
                            alert_log_group=alert_group,
                            delete_protection=retain,
                            endpoints=env.network.network_firewall.endpoints,
                        )
                        if firewall_on and alert_group is not None
                        else None
                    ),
                )
            ),
        )
        self.network.node.add_dependency(self.logging)
        self.monitoring = MonitoringStack(
            self,
            "Monitoring",
            settings=self._settings(MonitoringStack),
            props=MonitoringStackProps(
                naming=naming,
                environment=env.name,
                alarms_key=self.keys.alarms_key,
                alarm_email=env.alarm_email,
                firewall_alert_log_group=alert_group,
            ),
        )
        self.monitoring.add_stack_dependency(self.logging)

    def _settings(self, stack: type[PlatformStack]) -> StackSettings:
        env = self._env
        return StackSettings(
            name=self._naming.stack_name(env.name, stack.PURPOSE),
            account=self._platform.environment_account_id(env),
            region=env.region,
            description=f"{self._naming.prefix(env.name)}: {stack.DESCRIPTION}",
            termination_protection=env.termination_protection,
            tags=self._platform.tags(env),
        )

    def stacks(self) -> list[PlatformStack]:
        return [self.keys, self.logging, self.network, self.monitoring]


def _account_stack_settings(
    platform: PlatformConfig, naming: Naming, stack: _AccountStackClass
) -> StackSettings:
    return StackSettings(
        name=naming.stack_name(stack.ACCOUNT, stack.PURPOSE),
        account=platform.account_id(stack.ACCOUNT),
        region=platform.home_region,
        description=f"{naming.project}: {stack.DESCRIPTION}",
        termination_protection=True,
        tags=platform.shared_tags(stack.CLASSIFICATION),
    )


def deploy_target(platform: PlatformConfig, naming: Naming, env: EnvironmentConfig) -> DeployTarget:
    account = platform.environment_account_id(env)
    return DeployTarget(
        environment=env.name,
        account=account,
        region=env.region,
        parameter_arn_pattern=naming.deployment_parameter_arn_pattern(
            env.name, account, env.region
        ),
        spa_bucket_arn_pattern=naming.spa_bucket_arn_pattern(env.name),
        data_key_alias=naming.key_alias(env.name, "data"),
    )


class DeliveryStage(Stage):
    """The application's delivery (issue #11): in the Development account the artifacts
    (stateful) and the pipeline; in the Production account the deployer role that the
    prod deploy assumes. The two accounts' stacks share nothing but names."""

    def __init__(self, scope: Construct, *, platform: PlatformConfig, naming: Naming) -> None:
        super().__init__(scope, DELIVERY_STAGE)
        delivery = platform.delivery
        development = platform.account_id("development")
        production = platform.account_id("production")
        remote = [
            env for env in platform.environments.values()
            if platform.environment_account_id(env) != development
        ]  # fmt: skip
        self.artifacts = DeliveryArtifactsStack(
            self,
            "DeliveryArtifacts",
            settings=_account_stack_settings(platform, naming, DeliveryArtifactsStack),
            props=DeliveryArtifactsStackProps(
                naming=naming,
                repository=delivery.image.repository,
                keep_tagged_images=delivery.image.keep_tagged_images,
                untagged_expiry_days=delivery.image.untagged_expiry_days,
                enhanced_scanning=delivery.image.enhanced_scanning,
                log_retention_days=delivery.log_retention_days,
                image_pullers=[
                    (
                        platform.environment_account_id(env),
                        [
                            naming.cluster_node_role_arn_pattern(
                                env.name, platform.environment_account_id(env)
                            )
                        ],
                    )
                    for env in remote
                ],
            ),
        )
        releases = [
            Release(
                target=deploy_target(platform, naming, env),
                assume_role_arn=(
                    naming.deployer_role_arn(env.name, platform.environment_account_id(env))
                    if env in remote
                    else None
                ),
                approval=env.account == "production",
            )
            for env in platform.environments.values()
        ]
        # Same stage: the pipeline stack names the artifacts stack's resources, so it follows it.
        self.pipeline = DeliveryPipelineStack(
            self,
            "DeliveryPipeline",
            settings=_account_stack_settings(platform, naming, DeliveryPipelineStack),
            props=DeliveryPipelineStackProps(
                naming=naming,
                owner=delivery.source.owner,
                repository=delivery.source.repository,
                branch=delivery.source.branch,
                connection_arn=delivery.source.connection_arn,
                notification_email=delivery.notification_email,
                key=self.artifacts.key,
                image=self.artifacts.image,
                repository_name=naming.image_repository_name(delivery.image.repository),
                scan_alarm_thresholds={
                    str(k): v for k, v in delivery.image.scan_alarm_thresholds.items()
                },
                rebuild_schedule=delivery.rebuild.schedule,
                rebuild_timezone=delivery.rebuild.timezone,
                releases=releases,
            ),
        )
        self.pipeline.add_stack_dependency(self.artifacts)
        self.targets: list[DeliveryTargetStack] = []
        for env in remote:
            if platform.environment_account_id(env) != production:
                raise ValueError(f"{env.name}: only Production hosts a remote environment")
            self.targets.append(
                DeliveryTargetStack(
                    self,
                    f"DeliveryTarget{env.name.capitalize()}",
                    settings=_account_stack_settings(platform, naming, DeliveryTargetStack),
                    props=DeliveryTargetStackProps(
                        role_name=naming.deployer_role_name(env.name),
                        target=deploy_target(platform, naming, env),
                        trusted_role_arns=[naming.delivery_role_arn(f"deploy-{env.name}")],
                        trusted_account=development,
                        organization_id=platform.accounts.organization.organization_id,
                    ),
                )
            )

    def stacks(self) -> list[PlatformStack]:
        return [self.artifacts, self.pipeline, *self.targets]


class InfrastructurePipelineStage(Stage):
    """The CDK Pipelines pipeline, alone in its stage: it deploys every other stage, and
    a pipeline cannot deploy the stage it is in."""

    def __init__(
        self,
        scope: Construct,
        *,
        platform: PlatformConfig,
        naming: Naming,
        connection_arn: str,
        stages: list[PipelineStage],
    ) -> None:
        super().__init__(scope, PIPELINE_STAGE)
        delivery = platform.delivery
        home = platform.home_region
        targets = {
            (stack.account, stack.region) for item in stages for stack in item.stage.node.children
            if isinstance(stack, PlatformStack)
        }  # fmt: skip
        regions = sorted({region for _, region in targets} - {home})
        self.replicas = [
            InfrastructurePipelineReplicaStack(
                self,
                f"Replica{''.join(part.capitalize() for part in region.split('-'))}",
                settings=replace(
                    _account_stack_settings(platform, naming, InfrastructurePipelineReplicaStack),
                    name=naming.stack_name(
                        "development", f"infrastructure-pipeline-replica-{region}"
                    ),
                    region=region,
                ),
                props=InfrastructurePipelineReplicaStackProps(
                    naming=naming,
                    writer_arns=[naming.delivery_role_arn("infrastructure")],
                    reader_arns=sorted(
                        naming.cdk_deploy_role_arn(account, region)
                        for account, target_region in targets
                        if target_region == region
                    ),
                ),
            )
            for region in regions
        ]
        self.pipeline = InfrastructurePipelineStack(
            self,
            "Pipeline",
            settings=_account_stack_settings(platform, naming, InfrastructurePipelineStack),
            props=InfrastructurePipelineStackProps(
                naming=naming,
                owner=delivery.source.owner,
                repository=delivery.source.repository,
                branch=delivery.source.branch,
                connection_arn=connection_arn,
                cdk_cli_version=CDK_CLI_VERSION,
                log_retention_days=delivery.log_retention_days,
                stages=stages,
                replica_regions=regions,
            ),
        )
        for replica in self.replicas:
            self.pipeline.add_stack_dependency(replica)

    def stacks(self) -> list[PlatformStack]:
        return [*self.replicas, self.pipeline]
