"""Configuration of accounts/accounts.yaml: the committed file loads, and bad values fail
naming file, field and reason. The organization-wide values live in organization.yaml
only; the permission-set and policy-document checks are the rendering code's
(tests/stacks/accounts/test_identity.py, tests/constructs/organization/test_policies.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from innovate_infra.config import ConfigError, PlatformConfig, load_platform
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters

ACCOUNTS_YAML = Path("accounts") / "accounts.yaml"


@pytest.fixture
def raw(config_dir: Path) -> dict[str, Any]:
    data = yaml.safe_load((config_dir / ACCOUNTS_YAML).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def load_variant(config_dir: Path, data: dict[str, Any]) -> PlatformConfig:
    (config_dir / ACCOUNTS_YAML).write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_platform(config_dir)


def test_committed_config_loads(platform: PlatformConfig) -> None:
    assert platform.home_region in platform.organization.allowed_regions
    assert set(platform.accounts.accounts) == {"security", "development", "production"}
    assert platform.accounts.security_lake.enabled is False
    assert platform.account_id("management") == platform.organization.accounts.management.id


def test_platform_values_come_from_organization_yaml(
    platform: PlatformConfig, naming: Naming
) -> None:
    organization = platform.organization
    assert platform.account_id("security") == organization.accounts.security.id
    assert platform.account_id("development") == organization.accounts.development.id
    params = policy_parameters(platform, naming)
    assert params["AllowedRegions"] == organization.allowed_regions
    assert params["ProjectValues"] == [organization.project]
    assert params["OwnerValues"] == [organization.owner]
    assert params["CostCenterValues"] == [organization.cost_center]
    assert params["EnvironmentValues"] == organization.tag_standard.environments
    assert params["DataClassificationValues"] == organization.tag_standard.data_classifications


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("organization", "home_region", "eu-west-1"),
        ("organization", "management_account_id", "111111111111"),
        ("guardrails", "allowed_regions", ["eu-west-1"]),
        ("guardrails", "tagging", {}),
        ("log_archive", "bucket_prefix", "innovate-logs"),
    ],
)
def test_platform_values_may_not_be_repeated(
    config_dir: Path, raw: dict[str, Any], section: str, key: str, value: Any
) -> None:
    raw[section][key] = value
    with pytest.raises(ConfigError, match=rf"accounts.yaml: {section}.{key}: Extra inputs"):
        load_variant(config_dir, raw)


def test_account_ids_may_not_be_repeated(config_dir: Path, raw: dict[str, Any]) -> None:
    raw["accounts"]["production"]["account_id"] = "999999999999"
    with pytest.raises(ConfigError, match=r"accounts.production.account_id: Extra inputs"):
        load_variant(config_dir, raw)


def mutate(raw: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    node: Any = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("dotted", "value", "field", "reason"),
    [
        (
            "organization.organization_id",
            "org-1",
            "organization.organization_id",
            "should match pattern",
        ),
        ("accounts.production.name", "", "accounts.production.name", "at least 1 character"),
        (
            "accounts.production.lifecycle",
            "adopt",
            "accounts.production.lifecycle",
            "Input should be 'create' or 'import'",
        ),
        (
            "accounts.development.ou",
            "Workloads/Sandbox",
            "<root>",
            "'Workloads/Sandbox' is not an organizational unit",
        ),
        (
            "organization.organizational_units",
            ["Security", "Workloads/Prod"],
            "organization",
            "needs its parent 'Workloads' listed",
        ),
        (
            "guardrails.tag_policy_enforced_for",
            ["not a type"],
            "guardrails.tag_policy_enforced_for.0",
            "should match pattern",
        ),
        (
            "guardrails.attachments",
            {"scp/prod-guardrails": ["Workloads/Nope"]},
            "<root>",
            "target 'Workloads/Nope' is neither 'root' nor an organizational unit",
        ),
        (
            "identity_center.assignments.0.group",
            "nobody",
            "identity_center",
            "'nobody' is not in groups",
        ),
        (
            "identity_center.session_durations",
            {"Developer": "PT24H"},
            "identity_center.session_durations.Developer",
            "should match pattern",
        ),
        ("log_archive.glacier_after_days", 10, "log_archive", "lifecycle days must increase"),
        ("log_archive.expire_after_days", 300, "log_archive", "lifecycle days must increase"),
        (
            "log_archive.object_lock_mode",
            "NONE",
            "log_archive.object_lock_mode",
            "Input should be 'GOVERNANCE' or 'COMPLIANCE'",
        ),
        (
            "audit.cloudwatch_retention_days",
            100,
            "audit.cloudwatch_retention_days",
            "100 is not a CloudWatch Logs retention",
        ),
        ("audit.alarm_email", "not-an-email", "audit.alarm_email", "should match pattern"),
        (
            "security_lake.sources",
            ["CLOUD_TRAIL_MGMT", "SYSLOG"],
            "security_lake.sources.1",
            "Input should be",
        ),
        (
            "security_lake.transition_to_glacier_after_days",
            400,
            "security_lake",
            "must be below retention_days",
        ),
        ("detection.unknown_switch", True, "detection.unknown_switch", "Extra inputs"),
    ],
)
def test_invalid_values_name_file_field_and_reason(
    config_dir: Path, raw: dict[str, Any], dotted: str, value: Any, field: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_variant(config_dir, mutate(raw, dotted, value))
    message = str(excinfo.value)
    assert f"{config_dir / ACCOUNTS_YAML}: {field}: " in message
    assert reason in message


def test_missing_member_account(config_dir: Path, raw: dict[str, Any]) -> None:
    del raw["accounts"]["production"]
    with pytest.raises(
        ConfigError, match=r"accounts.yaml: <root>: accounts: missing \['production'\]"
    ):
        load_variant(config_dir, raw)


def test_missing_file_and_bad_yaml(config_dir: Path) -> None:
    path = config_dir / ACCOUNTS_YAML
    path.unlink()
    with pytest.raises(ConfigError, match=r"accounts\.yaml: <file>: file not found"):
        load_platform(config_dir)
    path.write_text("organization: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"accounts\.yaml: <file>: not valid YAML"):
        load_platform(config_dir)
    path.write_text("just a string", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"accounts.yaml: <file>: must contain a mapping"):
        load_platform(config_dir)


def test_a_data_event_prefix_must_follow_the_project_name(
    config_dir: Path, raw: dict[str, Any]
) -> None:
    """Derived values must agree with what they derive from (#14)."""
    data = mutate(raw, "audit.sensitive_data_bucket_prefixes", ["acme-prod-"])
    with pytest.raises(ConfigError) as caught:
        load_variant(config_dir, data)
    [issue] = caught.value.issues
    assert issue.file.endswith("accounts/accounts.yaml")
    assert issue.field == "audit.sensitive_data_bucket_prefixes.0"
    assert "does not start with the project name 'innovate-'" in issue.reason


@pytest.mark.parametrize(
    ("dotted", "value", "message"),
    [
        ("budgets.monthly_usd", {"management": 10}, "monthly_usd: missing"),
        ("budgets.actual_thresholds_percent", [80, 80], "duplicate threshold"),
        ("budgets.alert_email", "not-an-email", "budgets.alert_email"),
    ],
)
def test_budgets_are_validated(
    config_dir: Path, raw: dict[str, Any], dotted: str, value: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_variant(config_dir, mutate(raw, dotted, value))
