"""Where an environment's regional logs go: encrypted CloudWatch log groups plus the
central log-archive bucket of the security/logs account."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

_R = logs.RetentionDays
RETENTION_BY_DAYS: dict[int, logs.RetentionDays] = {
    1: _R.ONE_DAY, 3: _R.THREE_DAYS, 5: _R.FIVE_DAYS, 7: _R.ONE_WEEK, 14: _R.TWO_WEEKS,
    30: _R.ONE_MONTH, 60: _R.TWO_MONTHS, 90: _R.THREE_MONTHS, 120: _R.FOUR_MONTHS,
    150: _R.FIVE_MONTHS, 180: _R.SIX_MONTHS, 365: _R.ONE_YEAR, 400: _R.THIRTEEN_MONTHS,
    545: _R.EIGHTEEN_MONTHS, 731: _R.TWO_YEARS, 1096: _R.THREE_YEARS, 1827: _R.FIVE_YEARS,
    2192: _R.SIX_YEARS, 2557: _R.SEVEN_YEARS, 2922: _R.EIGHT_YEARS, 3288: _R.NINE_YEARS,
    3653: _R.TEN_YEARS,
}  # fmt: skip


@dataclass(frozen=True)
class EncryptedLogGroupProps:
    log_group_name: str
    encryption_key: kms.IKey
    retention_days: int
    removal_policy: RemovalPolicy


class EncryptedLogGroup(Construct):
    """A log group encrypted with the environment's logs key, with a fixed retention."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: EncryptedLogGroupProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=props.log_group_name,
            encryption_key=props.encryption_key,
            retention=RETENTION_BY_DAYS[props.retention_days],
            removal_policy=props.removal_policy,
        )


@dataclass(frozen=True)
class LogArchiveDestination:
    """The central log-archive bucket (security/logs account) and the key prefixes to use.

    The bucket and its policy (allowing ``delivery.logs.amazonaws.com`` from the
    workload accounts) belong to the security/logs account stacks.
    """

    bucket_name: str
    flow_logs_prefix: str
    network_firewall_prefix: str

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket_name}"
