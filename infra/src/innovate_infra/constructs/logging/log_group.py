"""An encrypted CloudWatch log group with a fixed retention."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct


@dataclass(frozen=True)
class EncryptedLogGroupProps:
    log_group_name: str
    encryption_key: kms.IKey
    retention_days: int
    """A value CloudWatch Logs accepts (validated with the configuration)."""
    removal_policy: RemovalPolicy


def set_retention_days(log_group: logs.LogGroup, days: int) -> None:
    """CDK's ``RetentionDays`` is a named enum; the validated number is set on the L1."""
    cfn_group = log_group.node.default_child
    if not isinstance(cfn_group, logs.CfnLogGroup):
        raise TypeError("LogGroup has no CfnLogGroup default child")
    cfn_group.retention_in_days = days


class EncryptedLogGroup(Construct):
    """A log group encrypted with the given key, with a fixed retention."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: EncryptedLogGroupProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=props.log_group_name,
            encryption_key=props.encryption_key,
            removal_policy=props.removal_policy,
        )
        set_retention_days(self.log_group, props.retention_days)
