"""AWS Backup for the database: an encrypted, optionally locked vault with an access
policy against early deletion, and a plan with two rules, as AWS Backup recommends
("protect your resources with both continuous and snapshot backup rules"):

* a snapshot recovery point every 4 hours, optionally copied to a second region;
* continuous backup (point-in-time recovery to the second, up to 35 days back). A
  continuous rule keeps ONE continuous recovery point that each run updates, so it
  alone would not give the design's 4-hourly recovery points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from constructs import Construct

# Deleting a recovery point early or shortening its life: break-glass only (and, outside
# prod, deployments, so that a disposable environment can be torn down).
RECOVERY_POINT_ACTIONS = ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle")
# Changing or removing this policy, or the vault: deployments and break-glass only.
VAULT_ACTIONS = (
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVault",
)


@dataclass(frozen=True)
class VaultLockSettings:
    min_retention_days: int
    max_retention_days: int
    # None: governance mode (removable); set: compliance mode after this grace time.
    changeable_for_days: int | None


@dataclass(frozen=True)
class BackupVaultProps:
    vault_name: str
    encryption_key: kms.IKey
    lock: VaultLockSettings | None
    recovery_point_admin_arns: Sequence[str]
    """Who may delete a recovery point or shorten its lifecycle (ArnLike patterns)."""
    vault_admin_arns: Sequence[str]
    """Who may change the access policy or delete the vault."""
    removal_policy: RemovalPolicy


def vault_access_policy(
    recovery_point_admin_arns: Sequence[str], vault_admin_arns: Sequence[str]
) -> iam.PolicyDocument:
    """Deny statements with ``Principal: *`` and ``Resource: *`` (what AWS Config's
    backup-recovery-point-manual-deletion-disabled rule checks for), except the named roles."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="DenyRecoveryPointDeletion",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(RECOVERY_POINT_ACTIONS),
                resources=["*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": list(recovery_point_admin_arns)}},
            ),
            iam.PolicyStatement(
                sid="DenyVaultPolicyChangesAndDeletion",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(VAULT_ACTIONS),
                resources=["*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": list(vault_admin_arns)}},
            ),
        ]
    )


class DatabaseBackupVault(Construct):
    VAULT_ID: ClassVar[str] = "Vault"

    def __init__(self, scope: Construct, construct_id: str, *, props: BackupVaultProps) -> None:
        super().__init__(scope, construct_id)
        lock = props.lock
        self.vault = backup.BackupVault(
            self,
            self.VAULT_ID,
            backup_vault_name=props.vault_name,
            encryption_key=props.encryption_key,
            access_policy=vault_access_policy(
                props.recovery_point_admin_arns, props.vault_admin_arns
            ),
            lock_configuration=(
                backup.LockConfiguration(
                    min_retention=Duration.days(lock.min_retention_days),
                    max_retention=Duration.days(lock.max_retention_days),
                    changeable_for=(
                        Duration.days(lock.changeable_for_days)
                        if lock.changeable_for_days is not None
                        else None
                    ),
                )
                if lock is not None
                else None
            ),
            removal_policy=props.removal_policy,
        )


@dataclass(frozen=True)
class BackupCopyTarget:
    vault_arn: str
    retention_days: int


@dataclass(frozen=True)
class DatabaseBackupPlanProps:
    plan_name: str
    vault: backup.IBackupVault
    instance: rds.IDatabaseInstance
    schedule: str
    """The snapshot rule's cron expression (the design: ``cron(0 */4 * * ? *)``)."""
    continuous_schedule: str
    """When the continuous rule's job runs (it updates the one continuous recovery point)."""
    retention_days: int
    start_window_minutes: int
    completion_window_minutes: int
    copy_to: BackupCopyTarget | None


class DatabaseBackupPlan(Construct):
    """Snapshots on ``schedule`` (copied to ``copy_to`` when set) and continuous backup,
    both deleted after ``retention_days`` (at most 35 with continuous backup). The
    selection is the one instance."""

    PLAN_ID: ClassVar[str] = "Plan"
    SNAPSHOT_RULE: ClassVar[str] = "snapshot-every-4-hours"
    CONTINUOUS_RULE: ClassVar[str] = "continuous-pitr"

    def __init__(
        self, scope: Construct, construct_id: str, *, props: DatabaseBackupPlanProps
    ) -> None:
        super().__init__(scope, construct_id)
        copy_actions = []
        if props.copy_to is not None:
            destination = backup.BackupVault.from_backup_vault_arn(
                self, "CopyDestination", props.copy_to.vault_arn
            )
            copy_actions.append(
                backup.BackupPlanCopyActionProps(
                    destination_backup_vault=destination,
                    delete_after=Duration.days(props.copy_to.retention_days),
                )
            )
        self.plan = backup.BackupPlan(
            self,
            self.PLAN_ID,
            backup_plan_name=props.plan_name,
            backup_vault=props.vault,
        )
        for name, schedule, continuous, copies in (
            (self.SNAPSHOT_RULE, props.schedule, False, copy_actions),
            (self.CONTINUOUS_RULE, props.continuous_schedule, True, []),
        ):
            self.plan.add_rule(
                backup.BackupPlanRule(
                    rule_name=name,
                    schedule_expression=events.Schedule.expression(schedule),
                    enable_continuous_backup=continuous,
                    delete_after=Duration.days(props.retention_days),
                    start_window=Duration.minutes(props.start_window_minutes),
                    completion_window=Duration.minutes(props.completion_window_minutes),
                    copy_actions=copies or None,
                )
            )
        self.selection = self.plan.add_selection(
            "Selection",
            resources=[backup.BackupResource.from_rds_database_instance(props.instance)],
            allow_restores=False,
        )
