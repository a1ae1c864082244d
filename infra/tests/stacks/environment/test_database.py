"""Database stack (issue #9, database half): RDS for PostgreSQL per environment as the
config says, the dev/prod differences, the app secret and its rotation, AWS Backup, the
alarms, and the optional second-region copy. Policies are evaluated in
``test_database_policies.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stage
from innovate_infra.app import create_app
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.compliance.suppressions import registry
from innovate_infra.config import PlatformConfig
from innovate_infra.config.environment import FOUR_HOURLY, BackupCopy
from innovate_infra.naming import Naming
from innovate_infra.stages import EnvironmentStage

from tests.helpers import ref, resources_of

Templates = dict[str, dict[str, Any]]
ENVIRONMENTS = ["dev", "staging", "prod"]


def database(templates: Templates, env: str) -> dict[str, Any]:
    return templates[f"innovate-{env}-database"]


def instance_of(templates: Templates, env: str) -> dict[str, Any]:
    [instance] = resources_of(database(templates, env), "AWS::RDS::DBInstance").values()
    return instance


def one(template: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = resources_of(template, cfn_type).items()
    return logical_id, resource


def imported(value: Any) -> str:
    assert isinstance(value, dict), value
    assert "Fn::ImportValue" in value, value
    return str(value["Fn::ImportValue"])


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_instance_matches_the_configuration(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    config = platform.environment(env_name).database
    props = instance_of(templates, env_name)["Properties"]
    assert props["DBInstanceIdentifier"] == f"innovate-{env_name}-postgres"
    assert (props["Engine"], props["EngineVersion"]) == ("postgres", "18")
    assert props["DBInstanceClass"] == config.instance_class
    assert props["MultiAZ"] is config.multi_az
    assert props["StorageType"] == "gp3"
    assert int(props["AllocatedStorage"]) == config.allocated_storage_gib
    assert props["MaxAllocatedStorage"] == config.max_allocated_storage_gib
    assert props["BackupRetentionPeriod"] == config.backup_retention_days
    assert props["PreferredBackupWindow"] == config.backup_window
    assert props["PreferredMaintenanceWindow"] == config.maintenance_window
    assert props["AutoMinorVersionUpgrade"] is True
    assert props["AllowMajorVersionUpgrade"] is False
    assert props["PerformanceInsightsRetentionPeriod"] == (
        config.performance_insights_retention_days
    )


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_instance_is_private_encrypted_and_observable(templates: Templates, env_name: str) -> None:
    template = database(templates, env_name)
    props = instance_of(templates, env_name)["Properties"]
    keys = f"innovate-{env_name}-keys:"
    assert props["PubliclyAccessible"] is False
    assert props["Port"] == "5432"
    assert props["StorageEncrypted"] is True
    assert imported(props["KmsKeyId"]).startswith(keys + "ExportsOutputFnGetAttDataKey")
    assert props["EnablePerformanceInsights"] is True
    assert imported(props["PerformanceInsightsKMSKeyId"]).startswith(
        keys + "ExportsOutputFnGetAttDataKey"
    )
    assert props["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in props
    assert imported(props["MasterUserSecret"]["KmsKeyId"]).startswith(
        keys + "ExportsOutputFnGetAttSecretsKey"
    )
    assert props["EnableIAMDatabaseAuthentication"] is True
    assert props["CACertificateIdentifier"] == "rds-ca-rsa2048-g1"
    assert props["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert props["MonitoringInterval"] == 60
    role = template["Resources"][props["MonitoringRoleArn"]["Fn::GetAtt"][0]]
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}


@pytest.mark.parametrize(
    ("env_name", "multi_az", "protected", "policy"),
    [
        ("dev", False, False, "Delete"),
        ("staging", True, False, "Delete"),
        ("prod", True, True, "Snapshot"),
    ],
)
def test_prod_is_protected_and_dev_is_cheap_and_disposable(
    templates: Templates, env_name: str, multi_az: bool, protected: bool, policy: str
) -> None:
    instance = instance_of(templates, env_name)
    props = instance["Properties"]
    assert props["MultiAZ"] is multi_az
    assert props["DeletionProtection"] is protected
    assert props["DeleteAutomatedBackups"] is not protected
    assert instance["DeletionPolicy"] == instance["UpdateReplacePolicy"] == policy


def test_sizes_grow_from_dev_to_prod(platform: PlatformConfig) -> None:
    dev, prod = (platform.environment(e).database for e in ("dev", "prod"))
    assert dev.instance_class.startswith("db.t")  # burstable
    assert not prod.instance_class.startswith("db.t")
    assert dev.allocated_storage_gib < prod.allocated_storage_gib
    assert dev.backup_retention_days < prod.backup_retention_days
    assert prod.backup_retention_days >= 7


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_instance_is_in_the_isolated_subnets(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    _, group = one(database(templates, env_name), "AWS::RDS::DBSubnetGroup")
    subnets = [imported(s) for s in group["Properties"]["SubnetIds"]]
    assert len(subnets) == len(platform.environment(env_name).availability_zones)
    assert all(
        s.startswith(f"innovate-{env_name}-network:") and "isolatedSubnet" in s for s in subnets
    )


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_only_the_rotation_function_may_reach_the_database_yet(
    templates: Templates, env_name: str
) -> None:
    """The cluster's ingress is added by the stage that joins the two halves; until then
    the only peer is the app secret's rotation function, on 5432."""
    template = database(templates, env_name)
    groups = resources_of(template, "AWS::EC2::SecurityGroup")
    db_group = instance_of(templates, env_name)["Properties"]["VPCSecurityGroups"][0]
    db_group_id = db_group["Fn::GetAtt"][0]
    assert "SecurityGroupIngress" not in groups[db_group_id]["Properties"]
    ingress = [
        r["Properties"]
        for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"]["Fn::GetAtt"][0] == db_group_id
    ]
    [rule] = ingress
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 5432, 5432)
    source = rule["SourceSecurityGroupId"]["Fn::GetAtt"][0]
    assert "Rotation" in source
    rotation = groups[source]["Properties"]
    # Egress: HTTPS inside the VPC (the endpoints) and the database port, nothing else.
    egress = rotation["SecurityGroupEgress"]
    assert [(e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in egress] == [("tcp", 443, 443)]
    vpc_cidr = imported(egress[0]["CidrIp"])
    assert vpc_cidr.startswith(f"innovate-{env_name}-network:")
    assert "CidrBlock" in vpc_cidr
    [to_db] = resources_of(template, "AWS::EC2::SecurityGroupEgress").values()
    assert to_db["Properties"]["DestinationSecurityGroupId"]["Fn::GetAtt"][0] == db_group_id
    assert (to_db["Properties"]["FromPort"], to_db["Properties"]["ToPort"]) == (5432, 5432)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_parameter_group_forces_tls_and_logs_connections_and_slow_statements(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    _, group = one(database(templates, env_name), "AWS::RDS::DBParameterGroup")
    props = group["Properties"]
    assert props["Family"] == "postgres18"
    parameters = props["Parameters"]
    slow = platform.environment(env_name).database.slow_statement_ms
    assert parameters == {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "password_encryption": "scram-sha-256",
        "log_connections": "receipt,authentication,authorization",
        "log_disconnections": "1",
        "log_min_duration_statement": str(slow),
        "log_lock_waits": "1",
    }
    assert "log_statement" not in parameters  # would log ALTER ROLE ... PASSWORD in clear
    ref_ = instance_of(templates, env_name)["Properties"]["DBParameterGroupName"]
    assert ref(ref_) in resources_of(database(templates, env_name), "AWS::RDS::DBParameterGroup")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_exported_logs_land_in_encrypted_log_groups_created_first(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = database(templates, env_name)
    env = platform.environment(env_name)
    groups = resources_of(template, "AWS::Logs::LogGroup")
    names = {g["Properties"]["LogGroupName"]: (lid, g) for lid, g in groups.items()}
    expected = {
        f"/aws/rds/instance/innovate-{env_name}-postgres/{log}" for log in ("postgresql", "upgrade")
    }
    assert set(names) == expected
    instance = instance_of(templates, env_name)
    for logical_id, group in names.values():
        assert imported(group["Properties"]["KmsKeyId"]).startswith(
            f"innovate-{env_name}-keys:ExportsOutputFnGetAttLogsKey"
        )
        assert group["Properties"]["RetentionInDays"] == env.database_log_retention_days
        assert logical_id in instance["DependsOn"]
        assert group["DeletionPolicy"] == ("Retain" if env.retain_stateful_resources else "Delete")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_app_secret_is_generated_encrypted_attached_and_rotated_in_the_vpc(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    template = database(templates, env_name)
    _, secret = one(template, "AWS::SecretsManager::Secret")
    props = secret["Properties"]
    assert props["Name"] == f"innovate/{env_name}/database/innovate_app"
    assert imported(props["KmsKeyId"]).startswith(
        f"innovate-{env_name}-keys:ExportsOutputFnGetAttSecretsKey"
    )
    generated = props["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "password"
    assert json.loads(generated["SecretStringTemplate"]) == {
        "username": naming.database_app_username,
        "dbname": "innovate",
    }
    assert generated["PasswordLength"] >= 30
    # host, port, engine, dbInstanceIdentifier: added from the instance.
    _, attachment = one(template, "AWS::SecretsManager::SecretTargetAttachment")
    assert attachment["Properties"]["TargetType"] == "AWS::RDS::DBInstance"
    assert ref(attachment["Properties"]["TargetId"]) in resources_of(
        template, "AWS::RDS::DBInstance"
    )
    _, schedule = one(template, "AWS::SecretsManager::RotationSchedule")
    rotation = schedule["Properties"]
    assert rotation["RotateImmediatelyOnUpdate"] is False  # the role exists after the bootstrap
    assert rotation["RotationRules"] == {"ScheduleExpression": "rate(30 days)"}
    hosted = rotation["HostedRotationLambda"]
    assert hosted["RotationType"] == "PostgreSQLSingleUser"  # never holds the master secret
    assert "MasterSecretArn" not in hosted
    assert "isolatedSubnet" in json.dumps(hosted["VpcSubnetIds"])
    assert imported(hosted["KmsKeyArn"]).startswith(
        f"innovate-{env_name}-keys:ExportsOutputFnGetAttSecretsKey"
    )
    assert template["Transform"].startswith("AWS::SecretsManager-")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_backup_plan_takes_a_recovery_point_every_4_hours_with_pitr(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    """Two rules, as AWS Backup recommends: a continuous rule keeps one continuous
    recovery point (point-in-time recovery), the 4-hourly snapshots are the others."""
    template = database(templates, env_name)
    plan_config = platform.environment(env_name).database.backup
    _, plan = one(template, "AWS::Backup::BackupPlan")
    rules = {r["RuleName"]: r for r in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert sorted(rules) == ["continuous-pitr", "snapshot-every-4-hours"]
    snapshots, continuous = rules["snapshot-every-4-hours"], rules["continuous-pitr"]
    assert snapshots["ScheduleExpression"] == FOUR_HOURLY == "cron(0 */4 * * ? *)"
    assert snapshots.get("EnableContinuousBackup", False) is False
    assert continuous["EnableContinuousBackup"] is True
    assert continuous["ScheduleExpression"] == plan_config.continuous_schedule
    for rule in rules.values():
        assert rule["Lifecycle"] == {"DeleteAfterDays": plan_config.retention_days}
        assert "CopyActions" not in rule  # the committed config is single-region
    vault_id, vault = one(template, "AWS::Backup::BackupVault")
    for rule in rules.values():
        assert rule["TargetBackupVault"] == {"Fn::GetAtt": [vault_id, "BackupVaultName"]}
    assert vault["Properties"]["BackupVaultName"] == f"innovate-{env_name}-database"
    assert imported(vault["Properties"]["EncryptionKeyArn"]).startswith(
        f"innovate-{env_name}-keys:ExportsOutputFnGetAttDataKey"
    )
    _, selection = one(template, "AWS::Backup::BackupSelection")
    [resource] = selection["Properties"]["BackupSelection"]["Resources"]
    [instance_id] = resources_of(template, "AWS::RDS::DBInstance")
    assert resource["Fn::Join"][1][1] == {"Ref": instance_id}
    assert resource["Fn::Join"][1][0].endswith(":db:")


@pytest.mark.parametrize(
    ("env_name", "lock"),
    [
        ("dev", None),
        ("staging", {"MinRetentionDays": 7, "MaxRetentionDays": 35}),
        ("prod", {"MinRetentionDays": 7, "MaxRetentionDays": 35, "ChangeableForDays": 3}),
    ],
)
def test_vault_lock_is_compliance_mode_in_prod_only(
    templates: Templates, env_name: str, lock: dict[str, int] | None
) -> None:
    _, vault = one(database(templates, env_name), "AWS::Backup::BackupVault")
    assert vault["Properties"].get("LockConfiguration") == lock
    assert vault["DeletionPolicy"] == ("Retain" if env_name == "prod" else "Delete")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_database_alarms_go_to_the_encrypted_topic(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-monitoring"]
    config = platform.environment(env_name).database
    [topic_id] = resources_of(template, "AWS::SNS::Topic")
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in resources_of(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/RDS"
    }
    assert sorted(alarms) == sorted(
        [
            "CPUUtilization",
            "FreeStorageSpace",
            "FreeableMemory",
            "DatabaseConnections",
            "ReadLatency",
            "WriteLatency",
        ]
    )  # no ReplicaLag: there are no read replicas
    for alarm in alarms.values():
        assert alarm["Dimensions"] == [
            {"Name": "DBInstanceIdentifier", "Value": f"innovate-{env_name}-postgres"}
        ]
        assert alarm["AlarmName"].startswith(f"innovate-{env_name}-database-")
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
    assert alarms["CPUUtilization"]["Threshold"] == config.alarms.cpu_percent
    assert alarms["FreeStorageSpace"]["Threshold"] == (
        config.allocated_storage_gib * 1024**3 * config.alarms.free_storage_percent / 100
    )
    assert alarms["FreeableMemory"]["Threshold"] == config.alarms.freeable_memory_mib * 1024**2
    assert alarms["DatabaseConnections"]["Threshold"] == config.alarms.connections
    assert alarms["ReadLatency"]["Threshold"] == config.alarms.read_latency_ms / 1000
    assert alarms["FreeStorageSpace"]["ComparisonOperator"] == "LessThanThreshold"
    assert alarms["CPUUtilization"]["ComparisonOperator"] == "GreaterThanThreshold"


def test_monitoring_depends_on_the_database_not_the_reverse(synth: Any) -> None:
    for stage in synth.built.environments:
        assert stage.database in stage.monitoring.dependencies
        assert stage.monitoring not in stage.database.dependencies
        assert stage.stacks().index(stage.database) < stage.stacks().index(stage.monitoring)


# ----------------------------------------------------------- copy to a second region


@pytest.fixture(scope="module")
def copied(platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> EnvironmentStage:
    """prod with ``database.backup.copy_to`` on, synthesized alone with every gate."""
    env = platform.environment("prod")
    backup = env.database.backup.model_copy(
        update={"copy_to": BackupCopy(region="us-east-1", retention_days=35)}
    )
    env = env.model_copy(update={"database": env.database.model_copy(update={"backup": backup})})
    app = create_app(outdir=tmp_path_factory.mktemp("copy-out"))
    naming = Naming(platform)
    stage = EnvironmentStage(app, platform=platform, naming=naming, env=env)
    enable_compliance(app, registry(naming))
    app.synth(validate_on_synthesis=True)  # cdk-nag's three packs block here
    return stage


def _template(stage: EnvironmentStage, stack: Any) -> dict[str, Any]:
    outdir = Path(Stage.of(stack).outdir)
    return json.loads((outdir / stack.template_file).read_text(encoding="utf-8"))


def test_copy_goes_to_a_locked_vault_with_its_own_key_in_the_second_region(
    copied: EnvironmentStage, platform: PlatformConfig
) -> None:
    copy_stack = copied.backup_copy
    assert copy_stack is not None
    assert (copy_stack.region, copy_stack.stack_name) == (
        "us-east-1",
        "innovate-prod-database-backup-copy",
    )
    account = platform.environment_account_id(platform.environment("prod"))
    arn = f"arn:aws:backup:us-east-1:{account}:backup-vault:innovate-prod-database-copy"
    assert copy_stack.vault_arn == arn
    template = _template(copied, copy_stack)
    _, vault = one(template, "AWS::Backup::BackupVault")
    assert vault["Properties"]["BackupVaultName"] == "innovate-prod-database-copy"
    assert vault["Properties"]["LockConfiguration"]["ChangeableForDays"] == 3
    key_id, key = one(template, "AWS::KMS::Key")
    assert vault["Properties"]["EncryptionKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    via = {
        service
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        for service in s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", [])
    }
    assert via == {"backup.us-east-1.amazonaws.com", "rds.us-east-1.amazonaws.com"}

    source = _template(copied, copied.database)
    _, plan = one(source, "AWS::Backup::BackupPlan")
    rules = {r["RuleName"]: r for r in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert rules["snapshot-every-4-hours"]["CopyActions"] == [
        {"DestinationBackupVaultArn": arn, "Lifecycle": {"DeleteAfterDays": 35}}
    ]
    assert "CopyActions" not in rules["continuous-pitr"]
    assert copy_stack in copied.database.dependencies
    assert copied.stacks().index(copy_stack) < copied.stacks().index(copied.database)
