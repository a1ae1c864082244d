"""Stateful stack: the environment's CloudWatch log groups (encrypted, with retention)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class LoggingStackProps:
    naming: Naming
    environment: str
    logs_key: kms.IKey
    retention_days: int
    retain: bool
    network_firewall: bool


class LoggingStack(PlatformStack):
    """Log groups for VPC flow logs, (when the firewall is on) Network Firewall alerts, the
    API's access logs and its web ACL, and the delivery pipeline's builds of this environment.

    Log groups hold audit evidence, so they live in a stateful stack, apart from the
    network that writes to them, and are retained in prod.
    """

    PURPOSE = "logging"
    DESCRIPTION = "CloudWatch log groups (stateful)"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: LoggingStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        removal = RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY

        def group(construct_id: str, name: str) -> logs.ILogGroup:
            return EncryptedLogGroup(
                self,
                construct_id,
                props=EncryptedLogGroupProps(
                    log_group_name=props.naming.log_group_name(props.environment, name),
                    encryption_key=props.logs_key,
                    retention_days=props.retention_days,
                    removal_policy=removal,
                ),
            ).log_group

        self.flow_logs = group("VpcFlowLogs", "vpc/flow-logs")
        # Request path (#10): the API stage's access logs and its web ACL's logs (WAF
        # accepts only log groups named aws-waf-logs-*).
        self.api_access_logs = group("ApiAccessLogs", "api-gateway/access")
        self.api_web_acl_logs = EncryptedLogGroup(
            self,
            "ApiWebAclLogs",
            props=EncryptedLogGroupProps(
                log_group_name=props.naming.waf_log_group_name(props.environment, "api"),
                encryption_key=props.logs_key,
                retention_days=props.retention_days,
                removal_policy=removal,
            ),
        ).log_group
        # The delivery pipeline's deploy and publish builds of this environment (#11).
        self.deploy_logs = group("DeployLogs", "delivery/deploy")
        self.firewall_alerts: logs.ILogGroup | None = (
            group("NetworkFirewallAlerts", "network-firewall/alerts")
            if props.network_firewall
            else None
        )
