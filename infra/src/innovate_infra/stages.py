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
from pathlib import Path
from typing import Protocol

from aws_cdk import Environment, Stage
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.edge import CLOUDFRONT_CERTIFICATE_REGION
from innovate_infra.config.environment import EnvironmentConfig
from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.cdn.security_headers import load_security_headers
from innovate_infra.constructs.database.alarms import DatabaseAlarmThresholds
from innovate_infra.constructs.delivery.deployer import DeployTarget
from innovate_infra.constructs.delivery.parameters import (
    DeploymentParameter,
    DeploymentParameters,
)
from innovate_infra.constructs.eks.addons import AddonVersions, ChartVersions
from innovate_infra.constructs.eks.cluster import ClusterAccess
from innovate_infra.constructs.eks.karpenter import SUBNET_DISCOVERY_TAG, NodePoolSpec
from innovate_infra.constructs.logging.log_archive import LogArchiveDestination
from innovate_infra.constructs.network.vpc import (
    DnsFirewallSettings,
    FirewallSettings,
    NetworkProps,
)
from innovate_infra.naming import DEPLOYMENT_PARAMETERS, EDGE_REGION, NETWORK_LOGS, Naming
from innovate_infra.stacks.accounts.audit import AuditDataStack, SecurityServicesStack
from innovate_infra.stacks.accounts.cost import CostStack
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
from innovate_infra.stacks.delivery.target import (
    DeliveryTargetStack,
    DeliveryTargetStackProps,
    DeployProject,
)
from innovate_infra.stacks.environment.cluster import (
    ClusterStack,
    ClusterStackProps,
    KarpenterSettings,
    SystemNodes,
)
from innovate_infra.stacks.environment.database import (
    DatabaseBackupCopyStack,
    DatabaseBackupCopyStackProps,
    DatabaseStack,
    DatabaseStackProps,
)
from innovate_infra.stacks.environment.edge import (
    EdgeLoggingStack,
    EdgeLoggingStackProps,
    EdgeStack,
    EdgeStackProps,
)
from innovate_infra.stacks.environment.ingress import (
    ORIGIN_DOMAIN_KEY,
    ORIGIN_VERIFY_KEY,
    IngressStack,
    IngressStackProps,
)
from innovate_infra.stacks.environment.keys import KeysStack, KeysStackProps
from innovate_infra.stacks.environment.logging import LoggingStack, LoggingStackProps
from innovate_infra.stacks.environment.monitoring import (
    DatabaseAlarmSettings,
    MonitoringStack,
    MonitoringStackProps,
)
from innovate_infra.stacks.environment.network import NetworkStack, NetworkStackProps
from innovate_infra.stacks.environment.web import WebStack, WebStackProps

ACCOUNTS_STAGE = "accounts"
# The API's container port (services/api) and PostgreSQL's port: the network policies
# of the application namespace admit exactly these.
APPLICATION_PORT = 8000
DATABASE_PORT = 5432
DELIVERY_STAGE = "delivery"
PIPELINE_STAGE = "pipeline"
# The CDK CLI the infrastructure pipeline installs (the version infra/package.json pins).
CDK_CLI_VERSION = "2.1148.1"
# Key prefix of the environments' Route 53 Resolver query logs in the network-log bucket.
DNS_QUERY_LOGS_PREFIX = "dns-query-logs"
# The SPA's response headers: one file for CloudFront and the local front server.
SECURITY_HEADERS_FILE = Path(__file__).resolve().parents[3] / "web" / "security-headers.json"
# Key prefixes of the request path's logs in the archive (ALB bucket, WAF/API bucket).
ALB_LOGS_PREFIX = "alb"
CLOUDFRONT_LOGS_PREFIX = "cloudfront"


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
    9. management-cost: budgets per account, cost-allocation tags (after the organization:
       the budgets filter on its member accounts).

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
        self.cost = CostStack(
            self,
            "ManagementCost",
            settings=self._settings(CostStack),
            platform=platform,
            naming=naming,
        )
        self.cost.add_stack_dependency(self.organization)

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
        stacks.append(self.cost)
        return stacks


class EnvironmentStage(Stage):
    """dev, staging or prod, in its workload account and region.

    Stateful stacks (keys, log groups, the database and its backups) are separate from
    the stateless network and monitoring (alarm topic, alarms).
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
                    interface_endpoints=env.network.interface_endpoints,
                    private_subnet_tags={
                        SUBNET_DISCOVERY_TAG: naming.cluster_name(env.name),
                        # Internal load balancers go to the private subnets.
                        "kubernetes.io/role/internal-elb": "1",
                    },
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
        self.backup_copy: DatabaseBackupCopyStack | None = None
        database = env.database
        copy = database.backup.copy_to
        if copy is not None:
            self.backup_copy = DatabaseBackupCopyStack(
                self,
                "DatabaseBackupCopy",
                settings=self._settings(DatabaseBackupCopyStack, region=copy.region),
                props=DatabaseBackupCopyStackProps(
                    naming=naming,
                    environment=env.name,
                    lock=database.backup.vault_lock,
                    retain=retain,
                ),
            )
        self.database = DatabaseStack(
            self,
            "Database",
            settings=self._settings(DatabaseStack),
            props=DatabaseStackProps(
                naming=naming,
                environment=env.name,
                database=database,
                log_retention_days=env.database_log_retention_days,
                retain=retain,
                vpc=self.network.network.vpc,
                isolated_subnets=self.network.network.isolated_subnets,
                data_key=self.keys.data_key,
                secrets_key=self.keys.secrets_key,
                logs_key=self.keys.logs_key,
                copy_vault_arn=self.backup_copy.vault_arn if self.backup_copy else None,
            ),
        )
        if self.backup_copy is not None:
            self.database.add_stack_dependency(self.backup_copy)
        thresholds = database.alarms
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
                database=DatabaseAlarmSettings(
                    instance_identifier=self.database.instance_identifier,
                    allocated_storage_gib=database.allocated_storage_gib,
                    thresholds=DatabaseAlarmThresholds(**thresholds.model_dump()),
                ),
            ),
        )
        self.monitoring.add_stack_dependency(self.logging)
        # The alarms name the instance only; they are created once it exists.
        self.monitoring.add_stack_dependency(self.database)
        self.cluster = ClusterStack(
            self,
            "Cluster",
            settings=self._settings(ClusterStack),
            props=self._cluster_props(),
        )
        self.cluster.add_stack_dependency(self.network)
        self.cluster.add_stack_dependency(self.keys)

        self._request_path(platform, naming, env)
        self._connect()
        self._publish_deployment_parameters()

    def _connect(self) -> None:
        """What crosses this environment's stacks: the pods' security group into the
        database and from the load balancer, and the API's Pod Identity roles. Each rule
        lives in the consumer's stack (``remote_rule``), so the order stays database ->
        cluster -> ingress."""
        env, naming = self._env, self._naming
        pods = self.cluster.cluster_security_group
        self.database.security_group.add_ingress_rule(
            pods,
            ec2.Port.tcp(DATABASE_PORT),
            "PostgreSQL from the cluster's nodes and pods",
            remote_rule=True,
        )
        pods.add_ingress_rule(
            self.ingress.alb_security_group,
            ec2.Port.tcp(APPLICATION_PORT),
            "The API from the internal ALB (IP targets)",
            remote_rule=True,
        )
        self.cluster.add_stack_dependency(self.database)
        self.ingress.add_stack_dependency(self.cluster)
        self.api_signing_key = self.cluster.add_generated_secret(
            ClusterStack.API_SIGNING_KEY_ID,
            secret_name=naming.api_signing_key_secret_name(env.name),
            description=f"{naming.prefix(env.name)}: the API's token signing key (JWT_SECRET_ID)",
            secrets_key=self.keys.secrets_key,
            retain=env.retain_stateful_resources,
        )
        self.api_identity = self.cluster.add_workload_identity(
            "ApiIdentity",
            service_account=naming.api_service_account,
            description="the API: its database secret and its token signing key",
            secret_arns=[self.database.app_secret.secret_arn, self.api_signing_key.secret_arn],
            secrets_key=self.keys.secrets_key,
        )
        self.migration_identity = self.cluster.add_workload_identity(
            "MigrationIdentity",
            service_account=naming.migration_service_account,
            description="the migration Job: master (bootstrap the app role, DDL) and app secrets",
            secret_arns=[
                self.database.master_secret.secret_arn,
                self.database.app_secret.secret_arn,
                self.api_signing_key.secret_arn,
            ],
            secrets_key=self.keys.secrets_key,
        )

    def _publish_deployment_parameters(self) -> None:
        """The delivery pipeline's contract (``naming.DEPLOYMENT_PARAMETERS``): each stack
        publishes what it owns; the CloudFront side's live in us-east-1 with the web stack.
        The target group ARN is the ingress stack's own parameter."""
        env, naming = self._env, self._naming
        site = self.web.site
        spa_url = f"https://{env.edge.web.domain_name or site.distribution.domain_name}"
        published: dict[PlatformStack, dict[str, str | list[str]]] = {
            self.database: {
                "database-host": self.database.instance.db_instance_endpoint_address,
                "database-secret-id": self.database.app_secret.secret_arn,
                "database-master-secret-id": self.database.master_secret.secret_arn,
            },
            self.cluster: {
                "cluster-name": naming.cluster_name(env.name),
                "jwt-secret-id": self.api_signing_key.secret_arn,
                "runner-vpc-id": self.network.network.vpc.vpc_id,
                "runner-subnet-ids": [s.subnet_id for s in self.network.network.private_subnets],
                "runner-security-group-id": self.cluster.deploy_runner.security_group_id,
            },
            self.web: {
                "spa-bucket-name": site.bucket.bucket_name,
                "spa-distribution-id": site.distribution.distribution_id,
                "spa-url": spa_url,
                # Same origin: CloudFront forwards /api/* to API Gateway.
                "api-url": spa_url,
            },
        }
        for stack, values in published.items():
            DeploymentParameters(
                stack,
                "DeploymentParameters",
                parameters={
                    key: DeploymentParameter(
                        name=naming.deployment_parameter_name(env.name, key),
                        value=value,
                        description=f"for the delivery pipeline: {DEPLOYMENT_PARAMETERS[key]}",
                    )
                    for key, value in values.items()
                },
            )

    def _cluster_props(self) -> ClusterStackProps:
        env, naming = self._env, self._naming
        cluster = env.cluster
        account = self._platform.environment_account_id(env)
        karpenter = cluster.karpenter
        network = self.network.network
        return ClusterStackProps(
            cluster_name=naming.cluster_name(env.name),
            kubernetes_version=cluster.kubernetes_version,
            vpc=network.vpc,
            vpc_cidr=str(env.network.vpc_cidr),
            private_subnets=network.private_subnets,
            public_access_cidrs=cluster.endpoint_public_access_cidrs,
            cluster_key=self.keys.cluster_key,
            logs_key=self.keys.logs_key,
            data_key=self.keys.data_key,
            secrets_key=self.keys.secrets_key,
            access=[
                ClusterAccess(
                    construct_id=f"Access{grant.permission_set}",
                    principal_arn=naming.identity_center_role_arn(
                        grant.permission_set, account, grant.role_suffix
                    ),
                    access=grant.access,
                )
                for grant in cluster.access
            ],
            system_nodes=SystemNodes(
                instance_types=cluster.system_nodes.instance_types,
                ami_family=cluster.system_nodes.ami_family,
                architecture=cluster.system_nodes.architecture,
                min_size=cluster.system_nodes.min_size,
                desired_size=cluster.system_nodes.desired_size,
                max_size=cluster.system_nodes.max_size,
                volume_size_gib=cluster.system_nodes.volume_size_gib,
            ),
            karpenter=KarpenterSettings(
                chart_version=karpenter.version,
                architectures=karpenter.architectures,
                instance_categories=karpenter.instance_categories,
                node_pools=[
                    NodePoolSpec(
                        name=name,
                        weight=weight,
                        capacity_types=pool.capacity_types,
                        cpu_limit=pool.cpu_limit,
                        memory_limit_gib=pool.memory_limit_gib,
                    )
                    for name, weight, pool in (
                        ("baseline", 100, karpenter.baseline),
                        ("burst", 10, karpenter.burst),
                    )
                ],
                consolidate_after_seconds=karpenter.consolidate_after_seconds,
            ),
            addon_versions=AddonVersions(**cluster.addons.model_dump()),
            chart_versions=ChartVersions(**cluster.charts.model_dump()),
            prometheus_retention_days=cluster.prometheus.retention_days,
            prometheus_storage_gib=cluster.prometheus.storage_gib,
            platform_namespace=naming.platform_namespace,
            application_namespace=naming.application_namespace,
            deployer_group=naming.deployer_group,
            application_port=APPLICATION_PORT,
            database_port=DATABASE_PORT,
            retain_volumes=env.retain_stateful_resources,
            tags=self._platform.tags(env),
        )

    def _request_path(
        self, platform: PlatformConfig, naming: Naming, env: EnvironmentConfig
    ) -> None:
        """Issue #10: us-east-1 edge-logging -> ingress (API) -> edge (web ACL) -> web."""
        edge = env.edge
        waf = edge.waf
        edge_region = CLOUDFRONT_CERTIFICATE_REGION
        retain = env.retain_stateful_resources
        waf_api_bucket = naming.log_bucket_name("waf-api")
        self.edge_logging = EdgeLoggingStack(
            self,
            "EdgeLogging",
            settings=self._settings(EdgeLoggingStack, region=edge_region),
            props=EdgeLoggingStackProps(
                naming=naming,
                environment=env.name,
                retention_days=env.logging.retention_days,
                retain=retain,
            ),
        )
        self.ingress = IngressStack(
            self,
            "Ingress",
            settings=self._settings(IngressStack),
            props=IngressStackProps(
                naming=naming,
                environment=env.name,
                vpc=self.network.network.vpc,
                private_subnets=tuple(self.network.network.private_subnets),
                secrets_key=self.keys.secrets_key,
                stream_key=self.keys.data_key,
                access_log_group=self.logging.api_access_logs,
                web_acl_log_group=self.logging.api_web_acl_logs,
                alb_certificate_arn=edge.api.alb_certificate_arn,
                alb_host_name=edge.api.alb_host_name,
                deletion_protection=retain,
                alb_log_bucket_name=naming.log_bucket_name("alb"),
                alb_log_prefix=f"{ALB_LOGS_PREFIX}/{env.name}",
                archive_bucket_name=waf_api_bucket,
                throttle_rate_limit=edge.api.throttle_rate_limit,
                throttle_burst_limit=edge.api.throttle_burst_limit,
                rate_limit_per_ip=waf.rate_limit_per_ip,
                login_rate_limit_per_ip=waf.login_rate_limit_per_ip,
                body_size_limit_bytes=waf.body_size_limit_bytes,
                evaluation_window_seconds=waf.evaluation_window_seconds,
                replica_region=edge_region,
                replica_key_alias=naming.key_alias(env.name, "edge"),
                domain_name=edge.api.domain_name,
                certificate_arn=edge.api.certificate_arn,
            ),
        )
        # The origin-verify secret's replica is encrypted with the us-east-1 key.
        self.ingress.add_stack_dependency(self.edge_logging)
        self.edge = EdgeStack(
            self,
            "Edge",
            settings=self._settings(EdgeStack, region=edge_region),
            props=EdgeStackProps(
                naming=naming,
                environment=env.name,
                key=self.edge_logging.key,
                web_acl_logs=self.edge_logging.web_acl_logs,
                rate_limit_per_ip=waf.rate_limit_per_ip,
                login_rate_limit_per_ip=waf.login_rate_limit_per_ip,
                body_size_limit_bytes=waf.body_size_limit_bytes,
                evaluation_window_seconds=waf.evaluation_window_seconds,
                archive_bucket_name=waf_api_bucket,
                domain_name=edge.web.domain_name,
                hosted_zone_id=edge.web.hosted_zone_id,
                certificate_arn=edge.web.certificate_arn,
            ),
        )
        self.web = WebStack(
            self,
            "Web",
            settings=self._settings(WebStack, region=edge_region),
            props=WebStackProps(
                name_prefix=naming.prefix(env.name),
                bucket_name=naming.spa_bucket_name(
                    env.name, self._platform.environment_account_id(env)
                ),
                headers=load_security_headers(SECURITY_HEADERS_FILE),
                price_class=edge.web.price_class,
                web_acl_arn=self.edge.web_acl.attr_arn,
                api_origin_path=self.ingress.origin_path,
                origin_secret_name=naming.origin_verify_secret_name(env.name),
                origin_verify_key=ORIGIN_VERIFY_KEY,
                origin_domain_key=ORIGIN_DOMAIN_KEY,
                log_bucket_name=waf_api_bucket,
                log_prefix=f"{CLOUDFRONT_LOGS_PREFIX}/{env.name}",
                retain=retain,
                domain_name=edge.web.domain_name,
                certificate=self.edge.certificate,
            ),
        )
        # The origin secret's replica must exist before the distribution reads it.
        self.web.add_stack_dependency(self.ingress)

    def _settings(self, stack: type[PlatformStack], *, region: str | None = None) -> StackSettings:
        """``region``: a stack outside the environment's region (us-east-1 edge stacks,
        the backup copy vault)."""
        env = self._env
        return StackSettings(
            name=self._naming.stack_name(env.name, stack.PURPOSE),
            account=self._platform.environment_account_id(env),
            region=region or env.region,
            description=f"{self._naming.prefix(env.name)}: {stack.DESCRIPTION}",
            termination_protection=env.termination_protection,
            tags=self._platform.tags(env),
        )

    def stacks(self) -> list[PlatformStack]:
        copy: list[PlatformStack] = [self.backup_copy] if self.backup_copy is not None else []
        return [
            self.keys,
            self.logging,
            self.network,
            *copy,
            self.database,
            self.monitoring,
            self.cluster,
            self.edge_logging,
            self.ingress,
            self.edge,
            self.web,
        ]


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
        edge_parameter_arn_pattern=naming.deployment_parameter_arn_pattern(
            env.name, account, EDGE_REGION
        ),
        spa_bucket_arn_pattern=naming.spa_bucket_arn_pattern(env.name),
    )


class DeliveryStage(Stage):
    """The application's delivery (issue #11): in the Development account the artifacts
    (stateful) and the pipeline with dev's and staging's deploy projects; in the
    Production account prod's deploy projects and the role the pipeline runs them as.
    The two accounts' stacks share nothing but names."""

    def __init__(self, scope: Construct, *, platform: PlatformConfig, naming: Naming) -> None:
        super().__init__(scope, DELIVERY_STAGE)
        delivery = platform.delivery
        development = platform.account_id("development")
        production = platform.account_id("production")
        for env in platform.environments.values():
            # A deploy project joins the environment's VPC, and CodePipeline's actions
            # run in the pipeline's region: one region for both.
            if env.region != platform.home_region:
                raise ValueError(
                    f"environments/{env.name}.yaml: region {env.region} is not the home "
                    f"region {platform.home_region}; the delivery pipeline deploys only there"
                )
        remote = [
            env for env in platform.environments.values()
            if platform.environment_account_id(env) != development
        ]  # fmt: skip
        for env in remote:
            if platform.environment_account_id(env) != production:
                raise ValueError(f"{env.name}: only Production hosts a remote environment")

        def remote_roles(env: EnvironmentConfig) -> list[str]:
            account = platform.environment_account_id(env)
            return [
                naming.deployer_role_arn(env.name, account),
                naming.publisher_role_arn(env.name, account),
                naming.pipeline_action_role_arn(env.name, account),
            ]

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
                artifact_readers=[
                    (platform.environment_account_id(env), remote_roles(env)) for env in remote
                ],
            ),
        )
        releases = [
            Release(
                target=deploy_target(platform, naming, env),
                approval=env.account == "production",
                runner_subnet_count=len(env.availability_zones),
                action_role_arn=(
                    naming.pipeline_action_role_arn(env.name, platform.environment_account_id(env))
                    if env in remote
                    else None
                ),
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
            self.targets.append(
                DeliveryTargetStack(
                    self,
                    f"DeliveryTarget{env.name.capitalize()}",
                    settings=_account_stack_settings(platform, naming, DeliveryTargetStack),
                    props=DeliveryTargetStackProps(
                        target=deploy_target(platform, naming, env),
                        deployer=DeployProject(
                            project_name=naming.build_project_name(f"deploy-{env.name}"),
                            role_name=naming.deployer_role_name(env.name),
                        ),
                        publisher=DeployProject(
                            project_name=naming.build_project_name(f"publish-{env.name}"),
                            role_name=naming.publisher_role_name(env.name),
                        ),
                        action_role_name=naming.pipeline_action_role_name(env.name),
                        pipeline_role_arn=naming.delivery_role_arn("application"),
                        pipeline_account=development,
                        organization_id=platform.accounts.organization.organization_id,
                        log_group_name=naming.deploy_log_group_name(env.name),
                        artifact_bucket_arn=f"arn:aws:s3:::{naming.artifact_bucket_name}",
                        pipeline_name=naming.application_pipeline_name,
                        project_key_alias=naming.key_alias(env.name, "data"),
                        image_repository_uri=(
                            f"{development}.dkr.ecr.{platform.home_region}.amazonaws.com/"
                            f"{naming.image_repository_name(delivery.image.repository)}"
                        ),
                        runner_vpc_id_parameter=naming.deployment_parameter_name(
                            env.name, "runner-vpc-id"
                        ),
                        runner_subnet_ids_parameter=naming.deployment_parameter_name(
                            env.name, "runner-subnet-ids"
                        ),
                        runner_security_group_parameter=naming.deployment_parameter_name(
                            env.name, "runner-security-group-id"
                        ),
                        runner_subnet_count=len(env.availability_zones),
                        cluster_name=naming.cluster_name(env.name),
                        deployer_group=naming.deployer_group,
                    ),
                )
            )
            # The pipeline's prod stage names these projects and this role.
            self.pipeline.add_stack_dependency(self.targets[-1])

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
