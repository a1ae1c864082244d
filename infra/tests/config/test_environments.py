"""Configuration of organization.yaml and the environments: the example values load;
bad values fail with file, field and reason."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from innovate_infra.config import ConfigError, PlatformConfig, load_platform

from tests.helpers import edit, issues_of


def test_example_configuration_loads(platform: PlatformConfig) -> None:
    assert list(platform.environments) == ["dev", "staging", "prod"]
    accounts = platform.organization.accounts
    assert {accounts.development.id, accounts.production.id} == {
        platform.environment_account_id(platform.environment("dev")),
        platform.environment_account_id(platform.environment("prod")),
    }
    assert (
        platform.environment_account_id(platform.environment("staging")) == accounts.development.id
    )
    assert len(platform.environment("dev").availability_zones) == 2
    assert len(platform.environment("prod").availability_zones) == 3
    assert platform.environment("prod").nat_gateway_count == 3
    assert platform.environment("dev").nat_gateway_count == 1


def test_allowed_domains_substitute_the_region(platform: PlatformConfig) -> None:
    domains = platform.allowed_domains(platform.environment("prod"))
    assert "api.ecr.eu-west-1.amazonaws.com" in domains
    assert not any("{region}" in d for d in domains)
    assert len(domains) == len(set(domains))


def test_bad_cidr_names_file_and_field(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml", lambda d: d["network"].update(vpc_cidr="10.10.0.0/33")
    )
    [(file, field, reason)] = issues_of(config_dir)
    assert (file, field) == ("dev.yaml", "network.vpc_cidr")
    assert "not a valid IPv4 CIDR" in reason


def test_cidr_with_host_bits_is_rejected(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml", lambda d: d["network"].update(vpc_cidr="10.10.1.0/16")
    )
    [(file, field, _)] = issues_of(config_dir)
    assert (file, field) == ("dev.yaml", "network.vpc_cidr")


def test_overlapping_cidrs_are_rejected(config_dir: Path) -> None:
    edit(
        config_dir / "environments/prod.yaml",
        lambda d: d["network"].update(vpc_cidr="10.10.128.0/17"),
    )
    issues = issues_of(config_dir)
    assert ("prod.yaml", "network.vpc_cidr") in [(f, fld) for f, fld, _ in issues]
    assert any("overlaps 10.10.0.0/16 of environment dev" in reason for _, _, reason in issues)


def test_unknown_environment_file_is_rejected(config_dir: Path) -> None:
    shutil.copy(config_dir / "environments/dev.yaml", config_dir / "environments/qa.yaml")
    edit(config_dir / "environments/qa.yaml", lambda d: d.update(name="qa"))
    [(file, field, reason)] = issues_of(config_dir)
    assert (file, field) == ("qa.yaml", "name")
    assert "'dev', 'staging' or 'prod'" in reason


def test_unknown_environment_selection_is_rejected(config_dir: Path) -> None:
    [(_, field, reason)] = issues_of(config_dir, only=["dev", "qa"])
    assert field == "qa"
    assert "unknown environment" in reason


def test_missing_account_id_is_rejected(config_dir: Path) -> None:
    edit(config_dir / "organization.yaml", lambda d: d["accounts"]["production"].pop("id"))
    [(file, field, reason)] = issues_of(config_dir)
    assert (file, field, reason) == (
        "organization.yaml",
        "accounts.production.id",
        "required field is missing",
    )


def test_malformed_account_id_is_rejected(config_dir: Path) -> None:
    edit(
        config_dir / "organization.yaml", lambda d: d["accounts"]["development"].update(id="12345")
    )
    [(file, field, _)] = issues_of(config_dir)
    assert (file, field) == ("organization.yaml", "accounts.development.id")


@pytest.mark.parametrize(
    ("env", "azs"),
    [
        ("prod", ["eu-west-1a", "eu-west-1b"]),
        ("staging", ["eu-west-1a", "eu-west-1b"]),
        ("dev", ["eu-west-1a"]),
        ("dev", ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]),
    ],
)
def test_availability_zone_count_out_of_range(config_dir: Path, env: str, azs: list[str]) -> None:
    edit(config_dir / f"environments/{env}.yaml", lambda d: d.update(availability_zones=azs))
    [(file, _, reason)] = issues_of(config_dir)
    assert file == f"{env}.yaml"
    assert "availability zones, got" in reason


def test_availability_zone_outside_region(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml",
        lambda d: d.update(availability_zones=["eu-west-1a", "us-east-1b"]),
    )
    [(_, _, reason)] = issues_of(config_dir)
    assert "not in region eu-west-1" in reason


def test_region_must_be_allowed(config_dir: Path) -> None:
    def to_ap(d: dict[str, Any]) -> None:
        d.update(region="ap-south-1", availability_zones=["ap-south-1a", "ap-south-1b"])
        api = d["edge"]["api"]
        api["alb_certificate_arn"] = api["alb_certificate_arn"].replace("eu-west-1", "ap-south-1")

    edit(config_dir / "environments/dev.yaml", to_ap)
    [(file, field, reason)] = issues_of(config_dir)
    assert (file, field) == ("dev.yaml", "region")
    assert "allowed_regions" in reason


def test_prod_must_retain_stateful_resources(config_dir: Path) -> None:
    edit(config_dir / "environments/prod.yaml", lambda d: d.update(retain_stateful_resources=False))
    [(_, _, reason)] = issues_of(config_dir)
    assert "retain_stateful_resources must be true in prod" in reason


def test_prod_must_be_in_the_production_account(config_dir: Path) -> None:
    edit(config_dir / "environments/prod.yaml", lambda d: d.update(account="development"))
    found = {(file, field) for file, field, _ in issues_of(config_dir)}
    # The production certificate then belongs to the wrong account too.
    assert found == {("prod.yaml", "account"), ("prod.yaml", "edge.api.alb_certificate_arn")}


def test_subnets_must_fit_the_vpc(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml", lambda d: d["network"].update(vpc_cidr="10.10.0.0/19")
    )
    [(_, _, reason)] = issues_of(config_dir)
    assert "need 9248 addresses, more than the 8192 of 10.10.0.0/19" in reason


def test_subnet_larger_than_vpc_is_rejected(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml", lambda d: d["network"].update(vpc_cidr="10.10.0.0/22")
    )
    [(_, _, reason)] = issues_of(config_dir)
    assert "private: /20 is larger than the VPC /22" in reason


def test_unknown_fields_are_rejected(config_dir: Path) -> None:
    edit(config_dir / "environments/dev.yaml", lambda d: d["network"].update(nat_gateway="single"))
    [(_, field, _)] = issues_of(config_dir)
    assert field == "network.nat_gateway"


def test_bad_retention_is_rejected(config_dir: Path) -> None:
    edit(config_dir / "environments/dev.yaml", lambda d: d["logging"].update(retention_days=31))
    [(_, field, reason)] = issues_of(config_dir)
    assert field == "logging.retention_days"
    assert "retention" in reason


def test_several_problems_are_reported_together(config_dir: Path) -> None:
    edit(config_dir / "environments/dev.yaml", lambda d: d["network"].update(vpc_cidr="nonsense"))
    edit(config_dir / "environments/staging.yaml", lambda d: d.update(alarm_email="not-an-email"))
    files = {file for file, _, _ in issues_of(config_dir)}
    assert files == {"dev.yaml", "staging.yaml"}


def test_error_message_names_file_field_and_reason(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml", lambda d: d["network"].update(vpc_cidr="300.1.0.0/16")
    )
    with pytest.raises(ConfigError) as caught:
        load_platform(config_dir)
    message = str(caught.value)
    assert "environments/dev.yaml: network.vpc_cidr:" in message
    assert "not a valid IPv4 CIDR" in message


def test_prod_keeps_one_firewall_endpoint_per_az(config_dir: Path) -> None:
    """Item 10: non-prod is made cheap by configuration, never by dropping a prod control."""
    edit(
        config_dir / "environments/prod.yaml",
        lambda d: d["network"]["network_firewall"].update(endpoints="single"),
    )
    [(file, _, reason)] = issues_of(config_dir)
    assert file == "prod.yaml"
    assert "per_az" in reason


def test_prod_cannot_switch_the_firewall_off(config_dir: Path) -> None:
    edit(
        config_dir / "environments/prod.yaml",
        lambda d: d["network"]["network_firewall"].update(enabled=False),
    )
    [(file, _, reason)] = issues_of(config_dir)
    assert file == "prod.yaml"
    assert "firewall" in reason


def test_single_firewall_endpoint_needs_the_single_nat(config_dir: Path) -> None:
    """Return traffic must come back through the one NAT to the one endpoint."""
    edit(
        config_dir / "environments/staging.yaml",
        lambda d: d["network"].update(nat_gateways="per_az"),
    )
    [(file, _, reason)] = issues_of(config_dir)
    assert file == "staging.yaml"
    assert "nat_gateways single" in reason


def test_firewall_endpoint_layout_must_be_chosen(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml",
        lambda d: d["network"]["network_firewall"].pop("endpoints"),
    )
    [(file, field, _)] = issues_of(config_dir)
    assert file == "dev.yaml"
    assert "endpoints" in field


def test_managed_dns_domain_list_ids_are_validated(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml",
        lambda d: d["network"].update(dns_firewall={"managed_domain_list_ids": ["malware"]}),
    )
    [(file, field, _)] = issues_of(config_dir)
    assert file == "dev.yaml"
    assert "managed_domain_list_ids" in field


# ------------------------------------------------------------------ database (issue #9)


def _database(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda d: change(d["database"])


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_databases_must_be_multi_az(config_dir: Path, env: str) -> None:
    edit(config_dir / f"environments/{env}.yaml", _database(lambda db: db.update(multi_az=False)))
    [(file, _, reason)] = issues_of(config_dir)
    assert file == f"{env}.yaml"
    assert f"database.multi_az must be true in {env}" in reason


def _six_days(db: dict[str, Any]) -> None:
    db.update(backup_retention_days=6)
    db["backup"]["retention_days"] = 6
    db["backup"]["vault_lock"]["min_retention_days"] = 1


def test_prod_keeps_at_least_7_days_of_point_in_time_recovery(config_dir: Path) -> None:
    edit(
        config_dir / "environments/prod.yaml",
        _database(_six_days),
    )
    [(file, _, reason)] = issues_of(config_dir)
    assert file == "prod.yaml"
    assert "database.backup_retention_days must be at least 7 in prod" in reason


def test_prod_vault_lock_must_be_compliance_mode(config_dir: Path) -> None:
    def governance(db: dict[str, Any]) -> None:
        del db["backup"]["vault_lock"]["changeable_for_days"]

    edit(config_dir / "environments/prod.yaml", _database(governance))
    [(file, _, reason)] = issues_of(config_dir)
    assert file == "prod.yaml"
    assert "database.backup.vault_lock must be enabled in compliance mode" in reason


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"backup_retention_days": 36},
            "database.backup_retention_days",
            "less than or equal to 35",
        ),
        ({"engine_major_version": 14}, "database.engine_major_version", "supported majors"),
        ({"instance_class": "t4g.medium"}, "database.instance_class", "should match pattern"),
        (
            {"performance_insights_retention_days": 30},
            "database.performance_insights_retention_days",
            "not a Performance Insights retention",
        ),
        (
            {"log_retention_days": 8},
            "database.log_retention_days",
            "not a CloudWatch Logs retention",
        ),
        ({"allocated_storage_gib": 100}, "database", "autoscaling ceiling"),
        ({"backup_window": "25:00-25:30"}, "database.backup_window", "should match pattern"),
        ({"backup_window": "01:00-01:10"}, "database", "at least 30 minutes"),
        (
            {"maintenance_window": "sun:00:45-sun:01:45", "backup_window": "01:00-01:30"},
            "database",
            "must not overlap",
        ),
        ({"slow_statement_ms": -2}, "database.slow_statement_ms", "greater than or equal to -1"),
    ],
)
def test_bad_database_values_name_file_and_field(
    config_dir: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    edit(config_dir / "environments/dev.yaml", _database(lambda db: db.update(change)))
    [(file, got_field, got_reason)] = issues_of(config_dir)
    assert (file, got_field) == ("dev.yaml", field)
    assert reason in got_reason


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"retention_days": 36}, "database.backup.retention_days", "less than or equal to 35"),
        ({"retention_days": 3}, "database.backup", "within the vault lock"),
        ({"retention_days": 20}, "database", "must equal backup_retention_days"),
        ({"schedule": "rate(4 hours)"}, "database.backup.schedule", "should match pattern"),
        (
            {"vault_lock": {"enabled": True, "changeable_for_days": 1}},
            "database.backup.vault_lock.changeable_for_days",
            "greater than or equal to 3",
        ),
    ],
)
def test_bad_backup_values_name_file_and_field(
    config_dir: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    edit(
        config_dir / "environments/staging.yaml", _database(lambda db: db["backup"].update(change))
    )
    [(file, got_field, got_reason)] = issues_of(config_dir)
    assert (file, got_field) == ("staging.yaml", field)
    assert reason in got_reason


def test_backup_copy_must_go_to_another_allowed_region(config_dir: Path) -> None:
    edit(
        config_dir / "environments/dev.yaml",
        _database(
            lambda db: db["backup"].update(copy_to={"region": "eu-central-1", "retention_days": 7})
        ),
    )
    [(file, field, reason)] = issues_of(config_dir)
    assert (file, field) == ("dev.yaml", "database.backup.copy_to.region")
    assert "not in allowed_regions" in reason
    edit(
        config_dir / "environments/dev.yaml",
        _database(
            lambda db: db["backup"].update(copy_to={"region": "eu-west-1", "retention_days": 7})
        ),
    )
    [(_, _, reason)] = issues_of(config_dir)
    assert "must differ from the environment's region" in reason


def test_database_logs_keep_the_logging_retention_unless_set(platform: PlatformConfig) -> None:
    for env in platform.environments.values():
        assert env.database_log_retention_days == env.logging.retention_days
