"""Stateful stacks: the environment's PostgreSQL database and its backups.

* ``DatabaseStack`` (``<project>-<env>-database``): the RDS instance in the isolated
  subnets (``constructs/database/instance.py``), the application's rotated secret
  (``app_secret.py``), the AWS Backup vault and plan (``backup.py``). Its alarms live in
  the stateless monitoring stack, which reads only the instance identifier.
* ``DatabaseBackupCopyStack`` (``<project>-<env>-database-backup-copy``, in the copy
  region, only when ``database.backup.copy_to`` is set): the destination vault, with its
  own key, that the plan copies every recovery point into. The source finds it by its
  ARN, built from the name (CloudFormation cannot reference across regions); the stage
  deploys it first.

For the cluster (wired by the stage): ``security_group`` (no ingress yet), ``port``,
``instance``, ``master_secret`` (RDS-managed, for the one-shot role bootstrap and the
migrations), ``app_secret`` and ``secrets_key`` (what the API's Pod Identity role may read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from innovate_infra.config.environment import DatabaseConfig, VaultLock
from innovate_infra.constructs.database.app_secret import AppDatabaseSecret, AppSecretProps
from innovate_infra.constructs.database.backup import (
    BackupCopyTarget,
    BackupVaultProps,
    DatabaseBackupPlan,
    DatabaseBackupPlanProps,
    DatabaseBackupVault,
    VaultLockSettings,
)
from innovate_infra.constructs.database.instance import (
    LOG_EXPORTS,
    PostgresInstance,
    PostgresInstanceProps,
)
from innovate_infra.constructs.kms.encryption_key import EncryptionKey, EncryptionKeyProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings

# Days between rotations of the application's password.
APP_SECRET_ROTATION_DAYS = 30


def lock_settings(lock: VaultLock) -> VaultLockSettings | None:
    if not lock.enabled:
        return None
    return VaultLockSettings(
        min_retention_days=lock.min_retention_days,
        max_retention_days=lock.max_retention_days,
        changeable_for_days=lock.changeable_for_days,
    )


def recovery_point_admins(naming: Naming, retain: bool) -> list[str]:
    """Break-glass always; deployments too where the environment is disposable."""
    if retain:
        return naming.break_glass_principal_arns()
    return naming.deployment_principal_arns()


@dataclass(frozen=True)
class DatabaseStackProps:
    naming: Naming
    environment: str
    database: DatabaseConfig
    log_retention_days: int
    retain: bool
    vpc: ec2.IVpc
    isolated_subnets: Sequence[ec2.ISubnet]
    data_key: kms.IKey
    secrets_key: kms.IKey
    logs_key: kms.IKey
    copy_vault_arn: str | None
    """The destination vault of ``database.backup.copy_to`` (None: no copy)."""


class DatabaseStack(PlatformStack):
    PURPOSE = "database"
    DESCRIPTION = "RDS for PostgreSQL, its secrets and AWS Backup (stateful)"
    DATABASE_ID: ClassVar[str] = "Postgres"
    APP_CREDENTIALS_ID: ClassVar[str] = "AppSecret"
    BACKUP_VAULT_ID: ClassVar[str] = "BackupVault"
    BACKUP_PLAN_ID: ClassVar[str] = "BackupPlan"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: DatabaseStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        naming, env, config = props.naming, props.environment, props.database
        identifier = naming.database_instance_identifier(env)
        self.instance_identifier = identifier
        self.allocated_storage_gib = config.allocated_storage_gib
        postgres = PostgresInstance(
            self,
            self.DATABASE_ID,
            props=PostgresInstanceProps(
                instance_identifier=identifier,
                database_name=naming.database_name,
                master_username=naming.database_master_username,
                engine_major_version=config.engine_major_version,
                instance_class=config.instance_class,
                multi_az=config.multi_az,
                allocated_storage_gib=config.allocated_storage_gib,
                max_allocated_storage_gib=config.max_allocated_storage_gib,
                vpc=props.vpc,
                subnets=props.isolated_subnets,
                storage_key=props.data_key,
                secrets_key=props.secrets_key,
                logs_key=props.logs_key,
                log_retention_days=props.log_retention_days,
                log_group_names={
                    log: naming.rds_log_group_name(identifier, log) for log in LOG_EXPORTS
                },
                performance_insights_retention_days=config.performance_insights_retention_days,
                backup_retention_days=config.backup_retention_days,
                backup_window=config.backup_window,
                maintenance_window=config.maintenance_window,
                slow_statement_ms=config.slow_statement_ms,
                retain=props.retain,
            ),
        )
        self.instance: rds.DatabaseInstance = postgres.instance
        self.security_group: ec2.SecurityGroup = postgres.security_group
        self.port = postgres.port
        self.master_secret: secretsmanager.ISecret = postgres.master_secret
        self.secrets_key = props.secrets_key

        app = AppDatabaseSecret(
            self,
            self.APP_CREDENTIALS_ID,
            props=AppSecretProps(
                secret_name=naming.database_secret_name(env, naming.database_app_username),
                username=naming.database_app_username,
                database_name=naming.database_name,
                instance=self.instance,
                database_security_group=self.security_group,
                port=self.port,
                # By ARN: given the key object, CDK's Secret writes its own statement into
                # the key policy (CreateGrant for anyone via Secrets Manager, without
                # kms:GrantIsForAWSResource). The key policy already admits Secrets Manager.
                encryption_key=kms.Key.from_key_arn(
                    self, "AppSecretKey", props.secrets_key.key_arn
                ),
                vpc=props.vpc,
                subnets=props.isolated_subnets,
                rotation_days=APP_SECRET_ROTATION_DAYS,
                deployment_principal_arns=naming.deployment_principal_arns(),
                retain=props.retain,
            ),
        )
        self.app_secret: secretsmanager.ISecret = app.secret

        plan = config.backup
        self.backup_vault = DatabaseBackupVault(
            self,
            self.BACKUP_VAULT_ID,
            props=BackupVaultProps(
                vault_name=naming.backup_vault_name(env),
                encryption_key=props.data_key,
                lock=lock_settings(plan.vault_lock),
                recovery_point_admin_arns=recovery_point_admins(naming, props.retain),
                vault_admin_arns=naming.deployment_principal_arns(),
                removal_policy=RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY,
            ),
        ).vault
        copy = plan.copy_to
        if (copy is None) != (props.copy_vault_arn is None):
            raise ValueError("copy_vault_arn must be given exactly when backup.copy_to is set")
        self.backup_plan = DatabaseBackupPlan(
            self,
            self.BACKUP_PLAN_ID,
            props=DatabaseBackupPlanProps(
                plan_name=f"{naming.prefix(env)}-database",
                vault=self.backup_vault,
                instance=self.instance,
                schedule=plan.schedule,
                continuous_schedule=plan.continuous_schedule,
                retention_days=plan.retention_days,
                start_window_minutes=plan.start_window_minutes,
                completion_window_minutes=plan.completion_window_minutes,
                copy_to=(
                    BackupCopyTarget(
                        vault_arn=props.copy_vault_arn, retention_days=copy.retention_days
                    )
                    if copy is not None and props.copy_vault_arn is not None
                    else None
                ),
            ),
        )


@dataclass(frozen=True)
class DatabaseBackupCopyStackProps:
    naming: Naming
    environment: str
    lock: VaultLock
    retain: bool


class DatabaseBackupCopyStack(PlatformStack):
    PURPOSE = "database-backup-copy"
    DESCRIPTION = "the second-region vault for copies of the database's recovery points (stateful)"
    VAULT_ID: ClassVar[str] = "CopyVault"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: DatabaseBackupCopyStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        naming, env = props.naming, props.environment
        removal = RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY
        region = self.region
        self.key = EncryptionKey(
            self,
            "CopyKey",
            props=EncryptionKeyProps(
                purpose="backup-copy",
                alias=naming.key_alias(env, "backup-copy"),
                description=f"{env}: copies of the database's recovery points in {region}",
                removal_policy=removal,
                administrator_arns=(
                    naming.cdk_exec_role_arn(self.account, region),
                    *naming.break_glass_principal_arns(),
                ),
                via_services=(f"backup.{region}.amazonaws.com", f"rds.{region}.amazonaws.com"),
                allow_grants_via_services=True,
            ),
        ).key
        self.vault = DatabaseBackupVault(
            self,
            self.VAULT_ID,
            props=BackupVaultProps(
                vault_name=naming.backup_copy_vault_name(env),
                encryption_key=self.key,
                lock=lock_settings(props.lock),
                recovery_point_admin_arns=recovery_point_admins(naming, props.retain),
                vault_admin_arns=naming.deployment_principal_arns(),
                removal_policy=removal,
            ),
        ).vault
        self.vault_arn = naming.backup_vault_arn(
            self.account, region, naming.backup_copy_vault_name(env)
        )
