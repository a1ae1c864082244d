"""Config validation: the committed file loads, and bad values fail naming file, field, reason."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from innovate_infra.accounts.config import (
    DEFAULT_CONFIG_PATH,
    AccountsConfig,
    ConfigError,
    load_accounts_config,
)
from innovate_infra.accounts.permission_sets import PERMISSION_SETS
from innovate_infra.config import OrganizationConfig, load_estate


@pytest.fixture(scope="module")
def organization() -> OrganizationConfig:
    return load_estate(DEFAULT_CONFIG_PATH.parents[1]).organization


@pytest.fixture
def raw() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def load_variant(
    tmp_path: Path, data: dict[str, Any], organization: OrganizationConfig
) -> AccountsConfig:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_accounts_config(path, organization)


def test_committed_config_loads(config: AccountsConfig) -> None:
    assert config.organization.home_region in config.guardrails.allowed_regions
    assert set(config.accounts) == {"security", "development", "production"}
    assert config.security_lake.enabled is False
    assert config.account_id("management") == config.organization.management_account_id


def test_estate_values_come_from_organization_yaml(
    config: AccountsConfig, organization: OrganizationConfig
) -> None:
    assert config.organization.management_account_id == organization.accounts.management.id
    assert config.security_account_id == organization.accounts.security_logs.id
    assert config.accounts["development"].account_id == organization.accounts.development.id
    assert config.accounts["production"].email == organization.accounts.production.email
    assert config.organization.home_region == organization.home_region
    assert config.guardrails.allowed_regions == organization.allowed_regions
    tagging = config.guardrails.tagging
    assert tagging.project == [organization.project]
    assert tagging.owner == [organization.owner]
    assert tagging.cost_center == [organization.cost_center]
    assert tagging.environment == organization.tag_standard.environments
    assert tagging.data_classification == organization.tag_standard.data_classifications


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("organization", "home_region", "eu-west-1"),
        ("organization", "management_account_id", "111111111111"),
        ("guardrails", "allowed_regions", ["eu-west-1"]),
        ("guardrails", "tagging", {}),
    ],
)
def test_estate_values_may_not_be_repeated(
    tmp_path: Path,
    raw: dict[str, Any],
    organization: OrganizationConfig,
    section: str,
    key: str,
    value: Any,
) -> None:
    raw[section][key] = value
    with pytest.raises(
        ConfigError, match=rf"accounts.yaml: {section}.{key}: set in organization.yaml"
    ):
        load_variant(tmp_path, raw, organization)


def test_account_ids_may_not_be_repeated(
    tmp_path: Path, raw: dict[str, Any], organization: OrganizationConfig
) -> None:
    raw["accounts"]["production"]["account_id"] = "999999999999"
    with pytest.raises(ConfigError, match=r"accounts.production.account_id: set in organization"):
        load_variant(tmp_path, raw, organization)


def test_session_duration_defaults_and_override(
    tmp_path: Path, raw: dict[str, Any], organization: OrganizationConfig
) -> None:
    raw["identity_center"]["session_durations"] = {"Developer": "PT2H"}
    loaded = load_variant(tmp_path, raw, organization)
    assert loaded.session_duration("Developer") == "PT2H"
    assert (
        loaded.session_duration("BreakGlassAdmin")
        == PERMISSION_SETS["BreakGlassAdmin"].session_duration
    )


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
            "(top level)",
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
            "guardrails.tagging.enforced_for.0",
            "should match pattern",
        ),
        (
            "guardrails.attachments",
            {"scp/does-not-exist": ["root"]},
            "(top level)",
            "'scp/does-not-exist' is not a file under infra/policies",
        ),
        (
            "guardrails.attachments",
            {"scp/prod-guardrails": ["Workloads/Nope"]},
            "(top level)",
            "target 'Workloads/Nope' is neither 'root' nor an organizational unit",
        ),
        (
            "identity_center.assignments.3.accounts",
            ["development", "production"],
            "identity_center",
            "'Developer' grants write access and may not be assigned in the production account",
        ),
        (
            "identity_center.assignments.0.group",
            "nobody",
            "identity_center",
            "'nobody' is not in groups",
        ),
        (
            "identity_center.assignments.0.permission_set",
            "God",
            "identity_center",
            "'God' is not one of",
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
            "audit",
            "100 is not a CloudWatch Logs retention period",
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
    tmp_path: Path,
    raw: dict[str, Any],
    organization: OrganizationConfig,
    dotted: str,
    value: Any,
    field: str,
    reason: str,
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_variant(tmp_path, mutate(raw, dotted, value), organization)
    message = str(excinfo.value)
    assert f"{tmp_path / 'accounts.yaml'}: {field}: " in message
    assert reason in message


def test_missing_member_account(
    tmp_path: Path, raw: dict[str, Any], organization: OrganizationConfig
) -> None:
    del raw["accounts"]["production"]
    with pytest.raises(
        ConfigError, match=r"accounts.yaml: \(top level\): accounts: missing \['production'\]"
    ):
        load_variant(tmp_path, raw, organization)


def test_missing_file_and_bad_yaml(tmp_path: Path, organization: OrganizationConfig) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_accounts_config(tmp_path / "nope.yaml", organization)
    bad = tmp_path / "bad.yaml"
    bad.write_text("organization: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: invalid YAML"):
        load_accounts_config(bad, organization)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"scalar.yaml: \(top level\): expected a mapping"):
        load_accounts_config(scalar, organization)
