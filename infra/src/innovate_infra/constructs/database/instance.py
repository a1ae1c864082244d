"""One RDS for PostgreSQL instance in isolated subnets, encrypted, TLS-only, observable.

* storage (gp3, autoscaling up to a ceiling) encrypted with the ``data`` key;
* the master password managed by RDS in Secrets Manager, encrypted with the ``secrets``
  key (RDS rotates it, every 7 days by default);
* its own security group with no ingress: whoever may connect is added by the stage
  (the cluster's nodes and pods) or by this stack (the app secret's rotation function);
* IAM database authentication, the ``rds-ca-rsa2048-g1`` CA, Performance Insights
  encrypted with the ``data`` key, enhanced monitoring every 60 s;
* the ``postgresql`` and ``upgrade`` logs exported to log groups created here first, so
  that they are encrypted with the ``logs`` key and keep the configured retention (RDS
  would otherwise create them unencrypted, with no expiry);
* minor version upgrades in the maintenance window; automated backups (point-in-time
  recovery) kept ``backup_retention_days``;
* ``retain`` (prod): deletion protection, a final snapshot on removal and the automated
  backups kept after deletion; otherwise the instance can be destroyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from innovate_infra.constructs.database.parameters import (
    ParameterGroupProps,
    PostgresParameterGroup,
)
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps

POSTGRES_PORT = 5432
# The logs RDS for PostgreSQL can export (cdk-nag's RDSLoggingEnabled wants both).
LOG_EXPORTS = ("postgresql", "upgrade")
MONITORING_INTERVAL = Duration.seconds(60)
CA_CERTIFICATE = rds.CaCertificate.RDS_CA_RSA2048_G1

# Performance Insights retention in days -> the CDK enum.
_PI_RETENTION = {
    7: rds.PerformanceInsightRetention.DEFAULT,
    731: rds.PerformanceInsightRetention.LONG_TERM,
    **{
        31 * months: getattr(rds.PerformanceInsightRetention, f"MONTHS_{months}")
        for months in range(1, 24)
    },
}


@dataclass(frozen=True)
class PostgresInstanceProps:
    instance_identifier: str
    database_name: str
    master_username: str
    engine_major_version: int
    instance_class: str
    """An RDS class name, e.g. ``db.t4g.medium``."""
    multi_az: bool
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet]
    storage_key: kms.IKey
    secrets_key: kms.IKey
    logs_key: kms.IKey
    log_retention_days: int
    log_group_names: dict[str, str]
    """Log type (``postgresql``, ``upgrade``) -> the name RDS exports it to."""
    performance_insights_retention_days: int
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    slow_statement_ms: int
    retain: bool


class PostgresInstance(Construct):
    INSTANCE_ID: ClassVar[str] = "Instance"
    SECURITY_GROUP_ID: ClassVar[str] = "SecurityGroup"

    def __init__(
        self, scope: Construct, construct_id: str, *, props: PostgresInstanceProps
    ) -> None:
        super().__init__(scope, construct_id)
        if set(props.log_group_names) != set(LOG_EXPORTS):
            raise ValueError(f"log_group_names must name exactly {LOG_EXPORTS}")
        engine = rds.DatabaseInstanceEngine.postgres(
            version=rds.PostgresEngineVersion.of(
                str(props.engine_major_version), str(props.engine_major_version)
            )
        )
        self.port = POSTGRES_PORT
        self.security_group = ec2.SecurityGroup(
            self,
            self.SECURITY_GROUP_ID,
            vpc=props.vpc,
            description=f"{props.instance_identifier}: PostgreSQL; ingress only from named peers",
            allow_all_outbound=False,
        )
        subnet_group = rds.SubnetGroup(
            self,
            "SubnetGroup",
            vpc=props.vpc,
            description=f"{props.instance_identifier}: isolated subnets (no internet route)",
            vpc_subnets=ec2.SubnetSelection(subnets=list(props.subnets)),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.parameter_group = PostgresParameterGroup(
            self,
            "Parameters",
            props=ParameterGroupProps(
                engine=engine,
                major_version=props.engine_major_version,
                slow_statement_ms=props.slow_statement_ms,
                description=f"{props.instance_identifier}: TLS only, connection and slow logs",
            ),
        )
        log_removal = RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY
        self.log_groups: dict[str, logs.ILogGroup] = {
            log_type: EncryptedLogGroup(
                self,
                f"{log_type.capitalize()}Logs",
                props=EncryptedLogGroupProps(
                    log_group_name=name,
                    encryption_key=props.logs_key,
                    retention_days=props.log_retention_days,
                    removal_policy=log_removal,
                ),
            ).log_group
            for log_type, name in props.log_group_names.items()
        }
        self.instance = rds.DatabaseInstance(
            self,
            self.INSTANCE_ID,
            instance_identifier=props.instance_identifier,
            engine=engine,
            instance_type=ec2.InstanceType(props.instance_class.removeprefix("db.")),
            database_name=props.database_name,
            port=POSTGRES_PORT,
            vpc=props.vpc,
            subnet_group=subnet_group,
            security_groups=[self.security_group],
            publicly_accessible=False,
            multi_az=props.multi_az,
            storage_type=rds.StorageType.GP3,
            allocated_storage=props.allocated_storage_gib,
            max_allocated_storage=props.max_allocated_storage_gib,
            storage_encrypted=True,
            storage_encryption_key=props.storage_key,
            credentials=rds.Credentials.from_username(
                props.master_username, encryption_key=props.secrets_key
            ),
            manage_master_user_password=True,
            iam_authentication=True,
            ca_certificate=CA_CERTIFICATE,
            parameter_group=self.parameter_group.parameter_group,
            enable_performance_insights=True,
            performance_insight_encryption_key=props.storage_key,
            performance_insight_retention=_PI_RETENTION[props.performance_insights_retention_days],
            monitoring_interval=MONITORING_INTERVAL,
            cloudwatch_logs_exports=list(LOG_EXPORTS),
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            preferred_maintenance_window=props.maintenance_window,
            backup_retention=Duration.days(props.backup_retention_days),
            preferred_backup_window=props.backup_window,
            copy_tags_to_snapshot=True,
            delete_automated_backups=not props.retain,
            deletion_protection=props.retain,
            removal_policy=RemovalPolicy.SNAPSHOT if props.retain else RemovalPolicy.DESTROY,
        )
        # The log groups must exist (encrypted, with retention) before RDS first exports.
        for group in self.log_groups.values():
            self.instance.node.add_dependency(group)
        if self.instance.secret is None:
            raise TypeError("expected the RDS-managed master secret")
        self.master_secret = self.instance.secret
