"""Loads every YAML file under ``infra/config/`` into one ``PlatformConfig``.

Each file is validated by its domain model (pydantic), then the rules that span files
(CIDR overlaps, regions, account placement, tag values). Every problem is reported
together as one ``ConfigError`` naming file, field and reason.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from innovate_infra.config.accounts import AccountsConfig
from innovate_infra.config.delivery import DeliveryConfig
from innovate_infra.config.edge import certificate_account
from innovate_infra.config.environment import (
    ENVIRONMENT_ACCOUNT,
    ENVIRONMENT_NAMES,
    EnvironmentConfig,
)
from innovate_infra.config.errors import ConfigError, ConfigIssue, display, parse, read_yaml
from innovate_infra.config.organization import OrganizationConfig
from innovate_infra.config.platform import PlatformConfig

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
ORGANIZATION_FILE = "organization.yaml"
ACCOUNTS_FILE = "accounts/accounts.yaml"
DELIVERY_FILE = "delivery.yaml"
ENVIRONMENTS_DIR = "environments"


def _cross_validate(
    org: OrganizationConfig, envs: dict[str, tuple[str, EnvironmentConfig]]
) -> Iterable[ConfigIssue]:
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for stem, (file, env) in envs.items():
        if env.name != stem:
            yield ConfigIssue(file, "name", f"{env.name!r} does not match the file name {stem!r}")
        if env.region not in org.allowed_regions:
            yield ConfigIssue(
                file, "region", f"{env.region!r} is not in allowed_regions {org.allowed_regions}"
            )
        copy = env.database.backup.copy_to
        if copy is not None and copy.region not in org.allowed_regions:
            yield ConfigIssue(
                file,
                "database.backup.copy_to.region",
                f"{copy.region!r} is not in allowed_regions {org.allowed_regions}",
            )
        expected = ENVIRONMENT_ACCOUNT[env.name]
        if env.account != expected:
            yield ConfigIssue(
                file, "account", f"{env.name} must be deployed to the {expected} account"
            )
        if env.name not in org.tag_standard.environments:
            yield ConfigIssue(file, "name", f"{env.name!r} is not in tag_standard.environments")
        if env.data_classification not in org.tag_standard.data_classifications:
            yield ConfigIssue(
                file,
                "data_classification",
                f"{env.data_classification!r} is not one of "
                f"{org.tag_standard.data_classifications}",
            )
        account_id = org.accounts.by_key(env.account).id
        for field, arn in (
            ("edge.web.certificate_arn", env.edge.web.certificate_arn),
            ("edge.api.alb_certificate_arn", env.edge.api.alb_certificate_arn),
            ("edge.api.certificate_arn", env.edge.api.certificate_arn),
        ):
            if arn is not None and certificate_account(arn) != account_id:
                yield ConfigIssue(
                    file,
                    field,
                    f"the certificate must belong to the {env.account} account ({account_id}), "
                    f"got {certificate_account(arn)}",
                )
        for other_name, other_cidr in seen:
            if env.network.vpc_cidr.overlaps(other_cidr):
                yield ConfigIssue(
                    file,
                    "network.vpc_cidr",
                    f"{env.network.vpc_cidr} overlaps {other_cidr} of environment {other_name}",
                )
        seen.append((env.name, env.network.vpc_cidr))


def _derived_names(
    org: OrganizationConfig, accounts: AccountsConfig, file: str
) -> Iterable[ConfigIssue]:
    """Values that follow from others must agree with them: every platform bucket name
    starts with the project name (``naming.py``), so a data-event prefix that does not
    records nothing."""
    for i, prefix in enumerate(accounts.audit.sensitive_data_bucket_prefixes):
        if not prefix.startswith(f"{org.project}-"):
            yield ConfigIssue(
                file,
                f"audit.sensitive_data_bucket_prefixes.{i}",
                f"{prefix!r} does not start with the project name {org.project + '-'!r} "
                "(organization.yaml project): no platform bucket would match",
            )


def _check_cluster_access(
    accounts: AccountsConfig, envs: dict[str, tuple[str, EnvironmentConfig]]
) -> Iterable[ConfigIssue]:
    """Each permission set an environment grants cluster access to must be assigned to
    that environment's account (otherwise Identity Center never creates its role)."""
    for file, env in envs.values():
        assigned = {
            a.permission_set
            for a in accounts.identity_center.assignments
            if env.account in a.accounts
        }
        for i, grant in enumerate(env.cluster.access):
            if grant.permission_set not in assigned:
                yield ConfigIssue(
                    file,
                    f"cluster.access[{i}].permission_set",
                    f"{grant.permission_set!r} is not assigned to the {env.account} account "
                    f"in accounts/accounts.yaml (assigned there: {sorted(assigned)})",
                )


def _load_environments(
    env_dir: Path,
) -> tuple[dict[str, tuple[str, EnvironmentConfig]], list[ConfigIssue]]:
    files = sorted(env_dir.glob("*.yaml"))
    if not files:
        raise ConfigError([ConfigIssue(display(env_dir), "<dir>", "no environment files (*.yaml)")])
    issues: list[ConfigIssue] = []
    parsed: dict[str, tuple[str, EnvironmentConfig]] = {}
    for path in files:
        file = display(path)
        if not re.fullmatch(r"[a-z][a-z0-9-]*", path.stem):
            issues.append(
                ConfigIssue(file, "<file>", "environment file names must be lower-case names")
            )
            continue
        try:
            parsed[path.stem] = (file, parse(EnvironmentConfig, read_yaml(path), file))
        except ConfigError as exc:
            issues.extend(exc.issues)
    return parsed, issues


def load_platform(
    config_dir: Path = DEFAULT_CONFIG_DIR, only: Sequence[str] | None = None
) -> PlatformConfig:
    """Load and validate ``organization.yaml``, ``accounts/accounts.yaml``,
    ``delivery.yaml`` and every ``environments/*.yaml``.

    ``only`` restricts the result to the named environments (all files are still
    validated, so overlapping CIDRs are caught whatever is selected); an unknown
    name is an error.
    """
    issues: list[ConfigIssue] = []
    org: OrganizationConfig | None = None
    accounts: AccountsConfig | None = None
    org_path = config_dir / ORGANIZATION_FILE
    try:
        org = parse(OrganizationConfig, read_yaml(org_path), display(org_path))
    except ConfigError as exc:
        issues.extend(exc.issues)
    accounts_path = config_dir / ACCOUNTS_FILE
    try:
        accounts = parse(AccountsConfig, read_yaml(accounts_path), display(accounts_path))
    except ConfigError as exc:
        issues.extend(exc.issues)
    delivery: DeliveryConfig | None = None
    delivery_path = config_dir / DELIVERY_FILE
    try:
        delivery = parse(DeliveryConfig, read_yaml(delivery_path), display(delivery_path))
    except ConfigError as exc:
        issues.extend(exc.issues)
    parsed, env_issues = _load_environments(config_dir / ENVIRONMENTS_DIR)
    issues.extend(env_issues)
    if not issues and org is not None:
        issues.extend(_cross_validate(org, parsed))
    if not issues and org is not None and accounts is not None:
        issues.extend(_derived_names(org, accounts, display(accounts_path)))
    if not issues and accounts is not None:
        issues.extend(_check_cluster_access(accounts, parsed))
    if issues or org is None or accounts is None or delivery is None:
        raise ConfigError(issues)

    # Stable order: dev, staging, prod.
    ordered: dict[str, EnvironmentConfig] = {
        name: parsed[name][1] for name in ENVIRONMENT_NAMES if name in parsed
    }
    if only is not None:
        unknown = [name for name in only if name not in ordered]
        if unknown:
            raise ConfigError(
                [
                    ConfigIssue(
                        "environments", name, f"unknown environment; known: {list(ordered)}"
                    )
                    for name in unknown
                ]
            )
        ordered = {name: env for name, env in ordered.items() if name in only}
    return PlatformConfig(
        organization=org, accounts=accounts, environments=ordered, delivery=delivery
    )
