"""Stateful stack: the environment's customer-managed KMS keys, one per purpose."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from innovate_infra.constructs.kms.encryption_key import (
    EncryptionKey,
    EncryptionKeyProps,
    ServicePrincipalUsage,
    ServicePublisher,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class KeysStackProps:
    naming: Naming
    environment: str
    retain: bool


class KeysStack(PlatformStack):
    """Keys for logs, data, secrets and the EKS cluster.

    * ``logs``: CloudWatch Logs log groups of this account and region (bound by the
      log-group encryption context).
    * ``data``: S3, RDS, EBS, the AWS Backup vault and the log delivery streams
      (Firehose) (via the service, with grants for AWS resources).
    * ``secrets``: Secrets Manager and SSM Parameter Store SecureStrings.
    * ``cluster``: EKS envelope encryption of Kubernetes secrets.
    * ``alarms``: the environment's alarm topic (SNS); CloudWatch alarms of this
      environment may publish to it.
    """

    PURPOSE = "keys"
    DESCRIPTION = "customer-managed KMS keys (stateful)"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: KeysStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        removal = RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY
        region, account = self.region, self.account
        env = props.environment
        # Account and region of the stage are concrete (never tokens) for environment stacks.
        administrators = (
            props.naming.cdk_exec_role_arn(account, region),
            *props.naming.break_glass_principal_arns(),
        )

        def via(*services: str) -> tuple[str, ...]:
            return tuple(f"{service}.{region}.amazonaws.com" for service in services)

        self.logs_key = self._key(
            "LogsKey",
            EncryptionKeyProps(
                purpose="logs",
                alias=props.naming.key_alias(env, "logs"),
                description=f"{props.environment}: CloudWatch Logs log groups",
                removal_policy=removal,
                administrator_arns=administrators,
                service_principals=(
                    ServicePrincipalUsage(
                        service=f"logs.{region}.amazonaws.com",
                        encryption_context_key="aws:logs:arn",
                        encryption_context_arn_pattern=f"arn:aws:logs:{region}:{account}:log-group:*",
                    ),
                ),
            ),
        )
        self.data_key = self._key(
            "DataKey",
            EncryptionKeyProps(
                purpose="data",
                alias=props.naming.key_alias(env, "data"),
                description=f"{props.environment}: application data in S3, RDS and EBS",
                removal_policy=removal,
                administrator_arns=administrators,
                # backup: the database's AWS Backup vault; firehose: the log delivery
                # streams are encrypted with this key.
                via_services=via("s3", "rds", "ec2", "backup", "firehose"),
                allow_grants_via_services=True,
            ),
        )
        self.secrets_key = self._key(
            "SecretsKey",
            EncryptionKeyProps(
                purpose="secrets",
                alias=props.naming.key_alias(env, "secrets"),
                description=f"{props.environment}: Secrets Manager secrets and SSM SecureStrings",
                removal_policy=removal,
                administrator_arns=administrators,
                via_services=via("secretsmanager", "ssm"),
                allow_grants_via_services=True,
            ),
        )
        self.cluster_key = self._key(
            "ClusterKey",
            EncryptionKeyProps(
                purpose="cluster",
                alias=props.naming.key_alias(env, "cluster"),
                description=f"{props.environment}: EKS envelope encryption of Kubernetes secrets",
                removal_policy=removal,
                administrator_arns=administrators,
                via_services=via("eks"),
                allow_grants_via_services=True,
            ),
        )

        self.alarms_key = self._key(
            "AlarmsKey",
            EncryptionKeyProps(
                purpose="alarms",
                alias=props.naming.key_alias(env, "alarms"),
                description=f"{props.environment}: the alarm notification topic (SNS)",
                removal_policy=removal,
                administrator_arns=administrators,
                service_publishers=(
                    ServicePublisher(
                        service="cloudwatch.amazonaws.com",
                        source_arn_pattern=props.naming.alarm_arn_pattern(env, account, region),
                    ),
                ),
            ),
        )

    def _key(self, construct_id: str, props: EncryptionKeyProps) -> kms.IKey:
        return EncryptionKey(self, construct_id, props=props).key
