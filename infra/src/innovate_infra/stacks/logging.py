"""Stateful stack: the environment's CloudWatch log groups (encrypted, with retention)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from innovate_infra.constructs.log_destinations import EncryptedLogGroup, EncryptedLogGroupProps


@dataclass(frozen=True)
class LoggingStackProps:
    project: str
    environment: str
    logs_key: kms.IKey
    retention_days: int
    retain: bool
    network_firewall: bool


class LoggingStack(Stack):
    """Log groups for VPC flow logs and (when the firewall is on) Network Firewall alerts.

    Log groups hold audit evidence, so they live in a stateful stack, apart from the
    network that writes to them, and are retained in prod.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: LoggingStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY
        base = f"/{props.project}/{props.environment}"

        def group(construct_id: str, name: str) -> logs.ILogGroup:
            return EncryptedLogGroup(
                self,
                construct_id,
                props=EncryptedLogGroupProps(
                    log_group_name=f"{base}/{name}",
                    encryption_key=props.logs_key,
                    retention_days=props.retention_days,
                    removal_policy=removal,
                ),
            ).log_group

        self.flow_logs = group("VpcFlowLogs", "vpc/flow-logs")
        self.firewall_alerts: logs.ILogGroup | None = (
            group("NetworkFirewallAlerts", "network-firewall/alerts")
            if props.network_firewall
            else None
        )
