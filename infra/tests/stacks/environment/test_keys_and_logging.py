"""Keys stack (one CMK per purpose, rotation, least-privilege key policies) and the
logging stack (encrypted log groups, retention from config, retained in prod).

What the key policies allow and refuse is evaluated in ``test_policies.py``."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.config import PlatformConfig

from tests.helpers import resources_of

Templates = dict[str, dict[str, Any]]
ENVIRONMENTS = ["dev", "staging", "prod"]
PURPOSES = ["logs", "data", "secrets", "cluster", "alarms"]


def keys_by_alias(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = resources_of(template, "AWS::KMS::Key")
    aliases = resources_of(template, "AWS::KMS::Alias")
    return {
        alias["Properties"]["AliasName"].rsplit("/", 1)[1]: keys[
            alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
        ]
        for alias in aliases.values()
    }


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_one_rotating_key_per_purpose(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-keys"]
    keys = keys_by_alias(template)
    assert sorted(keys) == sorted(PURPOSES)
    assert len(resources_of(template, "AWS::KMS::Key")) == len(PURPOSES)
    for purpose, key in keys.items():
        assert key["Properties"]["EnableKeyRotation"] is True, purpose
        assert key["Properties"]["RotationPeriodInDays"] == 365
    aliases = sorted(
        a["Properties"]["AliasName"] for a in resources_of(template, "AWS::KMS::Alias").values()
    )
    assert aliases == sorted(f"alias/innovate/{env_name}/{p}" for p in PURPOSES)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_each_key_serves_its_purpose(templates: Templates, env_name: str) -> None:
    keys = keys_by_alias(templates[f"innovate-{env_name}-keys"])

    def via(purpose: str) -> list[str]:
        found: list[str] = []
        for s in keys[purpose]["Properties"]["KeyPolicy"]["Statement"]:
            services = s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService", [])
            found += services if isinstance(services, list) else [services]
        return sorted(set(found))

    assert via("data") == [
        "backup.eu-west-1.amazonaws.com",
        "ec2.eu-west-1.amazonaws.com",
        "firehose.eu-west-1.amazonaws.com",
        "rds.eu-west-1.amazonaws.com",
        "s3.eu-west-1.amazonaws.com",
    ]
    assert via("secrets") == [
        "secretsmanager.eu-west-1.amazonaws.com",
        "ssm.eu-west-1.amazonaws.com",
    ]
    assert via("cluster") == ["eks.eu-west-1.amazonaws.com"]
    assert via("logs") == []
    [logs_service] = [
        s
        for s in keys["logs"]["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in s["Principal"]
    ]
    assert logs_service["Principal"]["Service"] == "logs.eu-west-1.amazonaws.com"
    assert "kms:EncryptionContext:aws:logs:arn" in logs_service["Condition"]["ArnLike"]


@pytest.mark.parametrize(
    ("env_name", "policy"), [("dev", "Delete"), ("staging", "Delete"), ("prod", "Retain")]
)
def test_stateful_resources_are_retained_in_prod(
    templates: Templates, env_name: str, policy: str
) -> None:
    stateful = [
        *resources_of(templates[f"innovate-{env_name}-keys"], "AWS::KMS::Key").values(),
        *resources_of(templates[f"innovate-{env_name}-logging"], "AWS::Logs::LogGroup").values(),
    ]
    assert stateful
    for resource in stateful:
        assert resource["DeletionPolicy"] == policy
        assert resource["UpdateReplacePolicy"] == policy


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_log_groups_are_encrypted_with_the_logs_key_and_have_retention(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    env = platform.environment(env_name)
    groups = resources_of(templates[f"innovate-{env_name}-logging"], "AWS::Logs::LogGroup")
    names = sorted(g["Properties"]["LogGroupName"] for g in groups.values())
    expected = [
        f"/innovate/{env_name}/vpc/flow-logs",
        f"/innovate/{env_name}/api-gateway/access",
        f"aws-waf-logs-innovate-{env_name}-api",
        f"/innovate/{env_name}/delivery/deploy",
    ]
    if env.network.network_firewall.enabled:
        expected.append(f"/innovate/{env_name}/network-firewall/alerts")
    assert names == sorted(expected)
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == env.logging.retention_days
        export = group["Properties"]["KmsKeyId"]["Fn::ImportValue"]
        assert export.startswith(f"innovate-{env_name}-keys:")
        assert "LogsKey" in export
