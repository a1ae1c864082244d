"""``environments/<name>.yaml``: one environment (dev, staging, prod): its account,
region and zones, network, logging, database, cluster, edge and switches."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from innovate_infra.config.cluster import ClusterConfig
from innovate_infra.config.edge import EdgeConfig, certificate_region
from innovate_infra.config.types import (
    AllowedDomain,
    DomainName,
    Email,
    Model,
    Region,
    TagValue,
    WorkloadAccountKey,
    check_retention,
)

EnvironmentName = Literal["dev", "staging", "prod"]
ENVIRONMENT_NAMES: tuple[EnvironmentName, ...] = ("dev", "staging", "prod")
# Which workload account each environment must live in (seed: dev and staging in
# Development, prod in Production).
ENVIRONMENT_ACCOUNT: dict[str, WorkloadAccountKey] = {
    "dev": "development",
    "staging": "development",
    "prod": "production",
}
# Environments that must span three availability zones (dev may use two).
THREE_AZ_ENVIRONMENTS = frozenset({"staging", "prod"})


class SubnetPrefixLengths(Model):
    """Prefix length of each subnet tier; one subnet per tier per availability zone."""

    public: int = Field(ge=16, le=28)
    private: int = Field(ge=16, le=28)
    isolated: int = Field(ge=16, le=28)
    firewall: int = Field(default=28, ge=16, le=28)


class NetworkFirewallConfig(Model):
    enabled: bool
    # per_az: one firewall endpoint per availability zone (required in prod: an AZ
    # failure then takes only its own egress). single: one endpoint serving every AZ,
    # with the single NAT gateway (the cheap non-prod layout; see docs/infrastructure.md).
    endpoints: Literal["per_az", "single"]
    # Added to the organization-wide egress allow-list for this environment only.
    extra_allowed_domains: list[AllowedDomain] = Field(default_factory=list)


class DnsFirewallConfig(Model):
    """Route 53 Resolver DNS Firewall (on every VPC; there is no switch)."""

    # Ids of the AWS-managed threat domain lists (AWSManagedDomainsMalwareDomainList,
    # ...BotnetCommandandControl, ...AggregateThreatList) in the environment's region:
    # per-region ids that CloudFormation cannot look up. Find them with
    # `aws route53resolver list-firewall-domain-lists --region <r> --query
    # "FirewallDomainLists[?ManagedOwnerName=='Route 53 Resolver DNS Firewall']"`.
    managed_domain_list_ids: list[
        Annotated[str, StringConstraints(pattern=r"^rslvr-fdl-[0-9a-f]{8,32}$")]
    ] = Field(default_factory=list)
    # DNS Firewall Advanced (DNS tunnelling and DGA detection): HIGH blocks only what
    # AWS is most confident about (fewest false positives).
    threat_confidence: Literal["LOW", "MEDIUM", "HIGH"] = "HIGH"


class NetworkConfig(Model):
    vpc_cidr: ipaddress.IPv4Network
    subnet_prefix_lengths: SubnetPrefixLengths
    nat_gateways: Literal["single", "per_az"]
    network_firewall: NetworkFirewallConfig
    dns_firewall: DnsFirewallConfig = Field(default_factory=DnsFirewallConfig)
    # Interface VPC endpoints are billed per endpoint per AZ-hour: per_az puts an endpoint
    # network interface in every AZ (required in staging and prod, so an AZ failure takes
    # only its own); single_az puts one in the first AZ, reached across AZs (dev only).
    interface_endpoints: Literal["per_az", "single_az"] = "per_az"

    @field_validator("vpc_cidr", mode="before")
    @classmethod
    def _parse_cidr(cls, value: Any) -> ipaddress.IPv4Network:
        if not isinstance(value, str):
            raise ValueError(f"must be a CIDR string such as 10.0.0.0/16, got {value!r}")
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({exc})") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"{value!r}: a VPC CIDR must be between /16 and /24")
        if not network.is_private:
            raise ValueError(f"{value!r} is not in a private (RFC 1918) range")
        return network


class LoggingConfig(Model):
    retention_days: int

    _retention = field_validator("retention_days")(check_retention)


# Engine major versions the pinned aws-cdk-lib (2.275) has constants for and that are
# in RDS standard support; the newest is the default in the committed files.
POSTGRES_MAJOR_VERSIONS = (16, 17, 18)
# Performance Insights retention: 7 days (free) or whole months (31 days each) up to
# 23 months, or 731 days (RDS CreateDBInstance, PerformanceInsightsRetentionPeriod).
PERFORMANCE_INSIGHTS_RETENTION_DAYS = (7, *(31 * m for m in range(1, 24)), 731)
# The design's figure: a recovery point every 4 hours.
FOUR_HOURLY = "cron(0 */4 * * ? *)"
# The continuous-backup rule's daily run, between two 4-hourly snapshots.
DAILY = "cron(0 6 * * ? *)"
# Environments whose database must survive the loss of an availability zone.
MULTI_AZ_ENVIRONMENTS = frozenset({"staging", "prod"})
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _span(start: int, end: int, period: int) -> set[int]:
    """Minutes of a window that may wrap past the end of the period (day or week)."""
    length = (end - start) % period
    return {(start + m) % period for m in range(length)}


class DatabaseAlarms(Model):
    """Thresholds of the database alarms (to the environment's alarm topic)."""

    cpu_percent: int = Field(ge=1, le=100)
    # Percent of the allocated storage left before autoscaling's ceiling is a problem.
    free_storage_percent: int = Field(ge=1, le=50)
    freeable_memory_mib: int = Field(ge=16)
    connections: int = Field(ge=1)
    read_latency_ms: int = Field(ge=1, le=10000)
    write_latency_ms: int = Field(ge=1, le=10000)


class VaultLock(Model):
    """AWS Backup Vault Lock. ``changeable_for_days`` set: compliance mode, immutable once
    that grace time has passed (AWS requires 3 or more); null: governance mode."""

    enabled: bool
    min_retention_days: int = Field(default=1, ge=1, le=36500)
    max_retention_days: int = Field(default=35, ge=1, le=36500)
    changeable_for_days: int | None = Field(default=None, ge=3, le=36500)

    @model_validator(mode="after")
    def _order(self) -> VaultLock:
        if self.min_retention_days > self.max_retention_days:
            raise ValueError("min_retention_days must not exceed max_retention_days")
        return self


class BackupCopy(Model):
    """Copy of every recovery point to a vault in a second region (same account)."""

    region: Region
    retention_days: int = Field(ge=1, le=36500)


class BackupPlanConfig(Model):
    # The snapshot rule: a recovery point every 4 hours (the design's figure).
    schedule: str = Field(default=FOUR_HOURLY, pattern=r"^cron\([^)]+\)$")
    # The continuous-backup rule's job (it updates the one continuous recovery point).
    continuous_schedule: str = Field(default=DAILY, pattern=r"^cron\([^)]+\)$")
    # Both rules; continuous backup (point-in-time recovery) keeps 1 to 35 days.
    retention_days: int = Field(ge=1, le=35)
    start_window_minutes: int = Field(default=60, ge=60, le=720)
    completion_window_minutes: int = Field(default=180, ge=120, le=10080)
    vault_lock: VaultLock
    copy_to: BackupCopy | None = None

    @model_validator(mode="after")
    def _lock_bounds(self) -> BackupPlanConfig:
        lock = self.vault_lock
        if lock.enabled and not (
            lock.min_retention_days <= self.retention_days <= lock.max_retention_days
        ):
            raise ValueError(
                f"retention_days {self.retention_days} must lie within the vault lock's "
                f"min_retention_days..max_retention_days "
                f"({lock.min_retention_days}..{lock.max_retention_days}), or AWS Backup "
                "refuses every backup job into the vault"
            )
        return self


class DatabaseConfig(Model):
    """RDS for PostgreSQL: one instance per environment, with its backups and alarms."""

    engine_major_version: int
    instance_class: Annotated[str, StringConstraints(pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$")]
    multi_az: bool
    allocated_storage_gib: int = Field(ge=20, le=65536)
    # Storage autoscaling ceiling.
    max_allocated_storage_gib: int = Field(ge=21, le=65536)
    # Automated backups (RDS point-in-time recovery): 1..35 days.
    backup_retention_days: int = Field(ge=1, le=35)
    # UTC, hh24:mi-hh24:mi, at least 30 minutes; must not overlap the maintenance window.
    backup_window: Annotated[str, StringConstraints(pattern=rf"^{_CLOCK}-{_CLOCK}$")]
    # UTC, ddd:hh24:mi-ddd:hh24:mi (minor version upgrades are applied here).
    maintenance_window: Annotated[
        str,
        StringConstraints(pattern=rf"^({'|'.join(_DAYS)}):{_CLOCK}-({'|'.join(_DAYS)}):{_CLOCK}$"),
    ]
    # log_min_duration_statement: statements slower than this are logged (-1: off).
    slow_statement_ms: int = Field(ge=-1, le=3_600_000)
    performance_insights_retention_days: int
    # Retention of the exported PostgreSQL logs; null: logging.retention_days.
    log_retention_days: int | None = None
    alarms: DatabaseAlarms
    backup: BackupPlanConfig

    @field_validator("engine_major_version")
    @classmethod
    def _major(cls, value: int) -> int:
        if value not in POSTGRES_MAJOR_VERSIONS:
            raise ValueError(
                f"{value} is not one of the supported majors {POSTGRES_MAJOR_VERSIONS}"
            )
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in PERFORMANCE_INSIGHTS_RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a Performance Insights retention: 7, a multiple of 31 up to "
                "713, or 731"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int | None) -> int | None:
        return None if value is None else check_retention(value)

    @model_validator(mode="after")
    def _check(self) -> DatabaseConfig:
        if self.backup.retention_days != self.backup_retention_days:
            # AWS Backup: "Amazon RDS calls its continuous backups 'automated backups'":
            # the continuous rule and the instance's retention are one setting, two
            # values would have one overwrite the other (and drift from the template).
            raise ValueError(
                f"backup.retention_days ({self.backup.retention_days}) must equal "
                f"backup_retention_days ({self.backup_retention_days}): AWS Backup's "
                "continuous backup of RDS is the instance's automated backups"
            )
        if self.max_allocated_storage_gib <= self.allocated_storage_gib:
            raise ValueError(
                "max_allocated_storage_gib must be greater than allocated_storage_gib "
                "(it is the storage autoscaling ceiling)"
            )
        start, end = (_minutes(t) for t in self.backup_window.split("-"))
        if (end - start) % 1440 < 30:
            raise ValueError("backup_window must be at least 30 minutes long")
        day = 1440
        backup_week = {d * day + m for d in range(7) for m in _span(start, end, day)}
        first, last = self.maintenance_window.split("-")
        week = 7 * day

        def at(point: str) -> int:
            name, clock = point.split(":", 1)
            return _DAYS.index(name) * day + _minutes(clock)

        maintenance = _span(at(first), at(last), week)
        if len(maintenance) < 30:
            raise ValueError("maintenance_window must be at least 30 minutes long")
        if backup_week & maintenance:
            raise ValueError("backup_window and maintenance_window must not overlap (RDS)")
        return self

    @property
    def performance_insights_months(self) -> int | None:
        """Whole months of the retention (None for the free 7 days, 0 for long-term)."""
        days = self.performance_insights_retention_days
        if days == 7:
            return None
        return 0 if days == 731 else days // 31


class EnvironmentConfig(Model):
    name: EnvironmentName
    account: WorkloadAccountKey
    region: Region
    availability_zones: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")]
    ]
    data_classification: TagValue
    domain_name: DomainName
    alarm_email: Email
    retain_stateful_resources: bool
    termination_protection: bool
    network: NetworkConfig
    logging: LoggingConfig
    database: DatabaseConfig
    edge: EdgeConfig
    cluster: ClusterConfig

    @model_validator(mode="after")
    def _check(self) -> EnvironmentConfig:
        azs = self.availability_zones
        if len(set(azs)) != len(azs):
            raise ValueError("availability_zones contains duplicates")
        low = 3 if self.name in THREE_AZ_ENVIRONMENTS else 2
        if not low <= len(azs) <= 3:
            raise ValueError(
                f"availability_zones: {self.name} needs {'exactly 3' if low == 3 else '2 or 3'} "
                f"availability zones, got {len(azs)}"
            )
        foreign = [az for az in azs if az[:-1] != self.region]
        if foreign:
            raise ValueError(f"availability_zones {foreign} are not in region {self.region}")
        if self.name == "prod" and not self.retain_stateful_resources:
            raise ValueError("retain_stateful_resources must be true in prod")
        firewall = self.network.network_firewall
        if self.name == "prod" and not (firewall.enabled and firewall.endpoints == "per_az"):
            raise ValueError(
                "network.network_firewall: prod needs the firewall enabled with per_az endpoints"
            )
        if firewall.endpoints == "single" and self.network.nat_gateways != "single":
            raise ValueError(
                "network.network_firewall.endpoints single needs nat_gateways single "
                "(return traffic must come back through the one NAT to the one endpoint)"
            )
        if self.name in THREE_AZ_ENVIRONMENTS and self.network.interface_endpoints != "per_az":
            raise ValueError(
                f"network.interface_endpoints: {self.name} needs per_az "
                "(an AZ outage must not cut the other AZs off the AWS APIs)"
            )
        _check_subnets_fit(self.network, len(azs))
        _check_database(self)
        api = self.edge.api
        for field, arn in (
            ("alb_certificate_arn", api.alb_certificate_arn),
            ("certificate_arn", api.certificate_arn),
        ):
            if arn is not None and certificate_region(arn) != self.region:
                raise ValueError(
                    f"edge.api.{field}: the certificate must be in the environment's region "
                    f"{self.region}, got {certificate_region(arn)}"
                )
        if self.name == "prod":
            _check_prod_cluster(self.cluster)
        return self

    @property
    def database_log_retention_days(self) -> int:
        return self.database.log_retention_days or self.logging.retention_days

    @property
    def nat_gateway_count(self) -> int:
        return len(self.availability_zones) if self.network.nat_gateways == "per_az" else 1


def _check_prod_cluster(cluster: ClusterConfig) -> None:
    if cluster.karpenter.baseline.capacity_types != ["on-demand"]:
        raise ValueError(
            "cluster.karpenter.baseline.capacity_types: prod's baseline is on-demand only "
            "(spot is for the burst pool)"
        )
    if cluster.endpoint_public_access_cidrs:
        raise ValueError("cluster.endpoint_public_access_cidrs: prod's API endpoint is private")
    if cluster.system_nodes.min_size < 2:
        raise ValueError("cluster.system_nodes.min_size: prod needs at least 2 system nodes")
    edits = [g.permission_set for g in cluster.access if g.access == "edit_application"]
    if edits:
        raise ValueError(
            f"cluster.access: {edits} may not have edit_application in prod "
            "(changes reach prod through the delivery pipeline only)"
        )


def _check_subnets_fit(network: NetworkConfig, az_count: int) -> None:
    lengths = network.subnet_prefix_lengths
    tiers = {"public": lengths.public, "private": lengths.private, "isolated": lengths.isolated}
    if network.network_firewall.enabled:
        tiers["firewall"] = lengths.firewall
    vpc = network.vpc_cidr
    for tier, length in tiers.items():
        if length < vpc.prefixlen:
            raise ValueError(
                f"network.subnet_prefix_lengths.{tier}: /{length} is larger than "
                f"the VPC /{vpc.prefixlen}"
            )
    needed = sum(az_count * 2 ** (32 - length) for length in tiers.values())
    if needed > vpc.num_addresses:
        raise ValueError(
            f"network: {az_count} AZs x subnets {tiers} need {needed} addresses, "
            f"more than the {vpc.num_addresses} of {vpc}"
        )


def _check_database(env: EnvironmentConfig) -> None:
    """Controls that the cheap non-prod settings may never switch off in prod."""
    database = env.database
    if env.name in MULTI_AZ_ENVIRONMENTS and not database.multi_az:
        raise ValueError(f"database.multi_az must be true in {env.name}")
    if env.name == "prod":
        if database.backup_retention_days < 7:
            raise ValueError("database.backup_retention_days must be at least 7 in prod")
        lock = database.backup.vault_lock
        if not (lock.enabled and lock.changeable_for_days is not None):
            raise ValueError(
                "database.backup.vault_lock must be enabled in compliance mode "
                "(changeable_for_days set) in prod"
            )
    copy = database.backup.copy_to
    if copy is not None and copy.region == env.region:
        raise ValueError(
            f"database.backup.copy_to.region must differ from the environment's region {env.region}"
        )
