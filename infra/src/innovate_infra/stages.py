"""One CDK Stage per environment: its stacks, in its account and region, tagged."""

from __future__ import annotations

from aws_cdk import Environment, Stage
from constructs import Construct

from innovate_infra.config import EnvironmentConfig, EstateConfig
from innovate_infra.constructs.log_destinations import LogArchiveDestination
from innovate_infra.constructs.network import FirewallSettings, NetworkProps
from innovate_infra.stacks.keys import KeysStack, KeysStackProps
from innovate_infra.stacks.logging import LoggingStack, LoggingStackProps
from innovate_infra.stacks.network import NetworkStack, NetworkStackProps
from innovate_infra.tagging import apply_standard_tags


class EnvironmentStage(Stage):
    """dev, staging or prod.

    Construct ids (``Keys``, ``Logging``, ``Network``) and stack names
    (``<project>-<env>-<purpose>``) are stable: renaming them replaces resources.
    Stateful stacks (keys, log groups) are separate from the stateless network.
    """

    def __init__(self, scope: Construct, *, estate: EstateConfig, env: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            env.name,
            env=Environment(account=estate.account_id(env), region=env.region),
        )
        org = estate.organization
        prefix = f"{org.project}-{env.name}"
        retain = env.retain_stateful_resources
        common = {"termination_protection": env.termination_protection}
        firewall_on = env.network.network_firewall.enabled

        self.keys = KeysStack(
            self,
            "Keys",
            stack_name=f"{prefix}-keys",
            description=f"{prefix}: customer-managed KMS keys (stateful)",
            props=KeysStackProps(project=org.project, environment=env.name, retain=retain),
            **common,
        )
        self.logging = LoggingStack(
            self,
            "Logging",
            stack_name=f"{prefix}-logging",
            description=f"{prefix}: CloudWatch log groups (stateful)",
            props=LoggingStackProps(
                project=org.project,
                environment=env.name,
                logs_key=self.keys.logs_key,
                retention_days=env.logging.retention_days,
                retain=retain,
                network_firewall=firewall_on,
            ),
            **common,
        )
        archive = org.log_archive
        alert_group = self.logging.firewall_alerts
        self.network = NetworkStack(
            self,
            "Network",
            stack_name=f"{prefix}-network",
            description=f"{prefix}: VPC, NAT, Network Firewall, flow logs, endpoints (stateless)",
            props=NetworkStackProps(
                network=NetworkProps(
                    name_prefix=prefix,
                    cidr=str(env.network.vpc_cidr),
                    availability_zones=env.availability_zones,
                    public_prefix_length=env.network.subnet_prefix_lengths.public,
                    private_prefix_length=env.network.subnet_prefix_lengths.private,
                    isolated_prefix_length=env.network.subnet_prefix_lengths.isolated,
                    firewall_prefix_length=env.network.subnet_prefix_lengths.firewall,
                    nat_gateways=env.network.nat_gateways,
                    flow_log_group=self.logging.flow_logs,
                    log_archive=LogArchiveDestination(
                        bucket_name=archive.bucket_name,
                        flow_logs_prefix=f"{archive.flow_logs_prefix}/{env.name}",
                        network_firewall_prefix=f"{archive.network_firewall_prefix}/{env.name}",
                    ),
                    firewall=(
                        FirewallSettings(
                            allowed_domains=estate.allowed_domains(env),
                            alert_log_group=alert_group,
                            delete_protection=retain,
                        )
                        if firewall_on and alert_group is not None
                        else None
                    ),
                )
            ),
            **common,
        )
        self.network.node.add_dependency(self.logging)
        apply_standard_tags(self, estate.tags(env))
