"""Suppressions of the database stacks (``stacks/environment/database.py``), each with its
reason. Collected by ``suppressions/__init__.py``."""

from __future__ import annotations

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment, ResourceMatcher
from innovate_infra.compliance.suppressions.rules import AWS, MANAGED, both
from innovate_infra.constructs.database.backup import DatabaseBackupPlan
from innovate_infra.constructs.database.instance import PostgresInstance
from innovate_infra.naming import Naming
from innovate_infra.stacks.environment.database import DatabaseStack

_INSTANCE = f"{DatabaseStack.DATABASE_ID}/{PostgresInstance.INSTANCE_ID}"

DB_INSTANCE = ResourceMatcher(
    cfn_type="AWS::RDS::DBInstance",
    stacks=(DatabaseStack,),
    path=f"{_INSTANCE}/Resource",
    description="the environment's RDS for PostgreSQL instance",
)

# Environments that may run without deletion protection / single-AZ (never prod).
SINGLE_AZ_STAGES = ("dev",)
DISPOSABLE_STAGES = ("dev", "staging")

SINGLE_AZ_INSTANCE = ResourceMatcher(
    cfn_type="AWS::RDS::DBInstance",
    stacks=(DatabaseStack,),
    path=f"{_INSTANCE}/Resource",
    description="the single-AZ RDS instance of dev",
    stages=SINGLE_AZ_STAGES,
)

DISPOSABLE_INSTANCE = ResourceMatcher(
    cfn_type="AWS::RDS::DBInstance",
    stacks=(DatabaseStack,),
    path=f"{_INSTANCE}/Resource",
    description="the RDS instance of the disposable environments (dev, staging)",
    stages=DISPOSABLE_STAGES,
)

MONITORING_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(DatabaseStack,),
    path=f"{_INSTANCE}/MonitoringRole/Resource",
    description="the RDS enhanced monitoring role of the database instance",
)

BACKUP_SELECTION_ROLE = ResourceMatcher(
    cfn_type="AWS::IAM::Role",
    stacks=(DatabaseStack,),
    path=f"{DatabaseStack.BACKUP_PLAN_ID}/{DatabaseBackupPlan.PLAN_ID}/Selection/Role/Resource",
    description="the role AWS Backup assumes to back up the database instance",
)

_NOT_IN_PROD = (
    "Acknowledged only in the stages named by the matcher, never in prod: prod cannot "
    "be configured without this control (the environment validator refuses it, "
    "config/environment.py) and tests/stacks/environment/test_database.py asserts it per "
    "environment. "
)

_SINGLE_AZ = (
    _NOT_IN_PROD + "dev runs single-AZ to halve its cost; staging and prod must be "
    "Multi-AZ (database.multi_az is required true there). dev holds no production data and "
    "recovers from its automated backups (point-in-time) and AWS Backup recovery points."
)

ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=(f"{AWS}RDS11",),
        matcher=DB_INSTANCE,
        reason=(
            "PostgreSQL listens on its default port 5432, the port the design and the "
            "application's clients use. A non-default port is obscurity, not access control: "
            "the instance is in isolated subnets with no internet route, not publicly "
            "accessible, and its security group has no ingress except from named security "
            "groups (the rotation function; the cluster, added by the stage); every connection "
            "must be TLS (rds.force_ssl=1) and authenticate with SCRAM or IAM. Asserted by "
            "tests/stacks/environment/test_database.py."
        ),
    ),
    NagAcknowledgment(
        rule_ids=(f"{AWS}RDS3", *both("RDSMultiAZSupport")),
        matcher=SINGLE_AZ_INSTANCE,
        reason=_SINGLE_AZ,
    ),
    NagAcknowledgment(
        rule_ids=(f"{AWS}RDS10", *both("RDSInstanceDeletionProtectionEnabled")),
        matcher=DISPOSABLE_INSTANCE,
        reason=_NOT_IN_PROD
        + "Environments with retain_stateful_resources false (dev, staging) are disposable "
        "by design and must be destroyable by their stack; prod (retain_stateful_resources "
        "required true) has deletion protection, a final snapshot on removal and keeps its "
        "automated backups. Recovery points in the AWS Backup vault outlive the instance.",
    ),
    NagAcknowledgment(
        rule_ids=(f"{AWS}IAM4[{MANAGED}service-role/AmazonRDSEnhancedMonitoringRole]",),
        matcher=MONITORING_ROLE,
        reason=(
            "The AWS-managed policy AWS documents for RDS enhanced monitoring; it only lets "
            "the RDS monitoring agent create and write the RDSOSMetrics log group and streams. "
            "The role is trusted by monitoring.rds.amazonaws.com only; AWS keeps the policy "
            "in step with the agent, a copy would drift."
        ),
    ),
    NagAcknowledgment(
        rule_ids=(f"{AWS}IAM4[{MANAGED}service-role/AWSBackupServiceRolePolicyForBackup]",),
        matcher=BACKUP_SELECTION_ROLE,
        reason=(
            "The AWS-managed policy AWS Backup documents for the role it assumes to create "
            "backups: the snapshot, tagging and KMS calls of every resource type AWS Backup "
            "supports, maintained by AWS as services change. The role is trusted by "
            "backup.amazonaws.com only, used by this plan's one selection (the database "
            "instance); restore permissions are not attached (restores are run by people "
            "through the runbook, docs/runbooks/restore-database.md)."
        ),
    ),
)

CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip("CKV_AWS_157", SINGLE_AZ_INSTANCE, _SINGLE_AZ),
)


def acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    return ACKNOWLEDGMENTS


def checkov_skips(naming: Naming) -> tuple[CheckovSkip, ...]:
    return CHECKOV_SKIPS
