"""``environments/<name>.yaml``: one environment (dev, staging, prod): its account,
region and zones, network, logging, sizes and switches."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from innovate_infra.config.cluster import ClusterConfig
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


class Sizes(Model):
    """Capacity knobs of the database (the cluster's are in ``cluster``)."""

    database_instance_class: Annotated[
        str, StringConstraints(pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
    ]
    database_allocated_storage_gib: int = Field(ge=20, le=65536)


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
    sizes: Sizes
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
        if self.name == "prod":
            _check_prod_cluster(self.cluster)
        return self

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
