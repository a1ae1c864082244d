"""Typed configuration of the whole estate, validated when it is loaded.

Two kinds of YAML files live under ``infra/config/``:

* ``organization.yaml``: the four accounts, the home and allowed regions, the tag
  standard, the central log archive and the egress allow-list;
* ``environments/<name>.yaml``: one file per environment (dev, staging, prod).

``load_estate()`` reads them, validates every field with pydantic and then the rules
that span files (overlapping CIDRs, region allowed, account placement). Any problem
raises :class:`ConfigError`, whose message names the file, the field and the reason.

Stacks and constructs never read files or the process environment: they receive
these models (or values taken from them) as typed props.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

M = TypeVar("M", bound=BaseModel)

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

EnvironmentName = Literal["dev", "staging", "prod"]
ENVIRONMENT_NAMES: tuple[EnvironmentName, ...] = ("dev", "staging", "prod")
AccountKey = Literal["management", "security_logs", "development", "production"]
WorkloadAccountKey = Literal["development", "production"]

# Which workload account each environment must live in (seed: dev and staging in
# Development, prod in Production).
ENVIRONMENT_ACCOUNT: dict[str, WorkloadAccountKey] = {
    "dev": "development",
    "staging": "development",
    "prod": "production",
}
# Environments that must span three availability zones (dev may use two).
THREE_AZ_ENVIRONMENTS = frozenset({"staging", "prod"})

# Retention values that CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)  # fmt: skip

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_ .:/=+\-@]+$", max_length=256)]
DomainName = Annotated[
    str,
    StringConstraints(
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$", max_length=253
    ),
]
# Network Firewall domain list entry: a domain, optionally with a leading dot
# (the domain and its subdomains); "{region}" is substituted per environment.
AllowedDomain = Annotated[
    str, StringConstraints(pattern=r"^\.?([a-z0-9{}]([a-z0-9{}-]{0,61}[a-z0-9{}])?\.)+[a-z]{2,}$")
]
BucketName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", max_length=63)
]
S3Prefix = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$")
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- organization


class Account(_Model):
    id: AccountId = Field(description="12-digit AWS account id")
    email: Email = Field(description="root e-mail address of the account")


class Accounts(_Model):
    """The four accounts of the seed design. All are required."""

    management: Account
    security_logs: Account
    development: Account
    production: Account

    def by_key(self, key: AccountKey) -> Account:
        account: Account = getattr(self, key)
        return account

    @model_validator(mode="after")
    def _distinct_ids(self) -> Accounts:
        ids = [self.management.id, self.security_logs.id, self.development.id, self.production.id]
        if len(set(ids)) != len(ids):
            raise ValueError("the four accounts must have four different account ids")
        return self


class TagStandard(_Model):
    """Allowed values of the mandatory tags (the keys are fixed: see ``REQUIRED_TAG_KEYS``)."""

    environments: list[TagValue] = Field(min_length=1)
    data_classifications: list[TagValue] = Field(min_length=1)


REQUIRED_TAG_KEYS = ("Project", "Environment", "Owner", "CostCenter", "DataClassification")


class LogArchive(_Model):
    """Central log-archive bucket in the security/logs account."""

    bucket_name: BucketName
    flow_logs_prefix: S3Prefix
    network_firewall_prefix: S3Prefix

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket_name}"


class OrganizationConfig(_Model):
    project: TagValue
    owner: TagValue
    cost_center: TagValue
    home_region: Region
    allowed_regions: list[Region] = Field(min_length=1)
    accounts: Accounts
    tag_standard: TagStandard
    log_archive: LogArchive
    egress_allowed_domains: list[AllowedDomain] = Field(min_length=1)

    @model_validator(mode="after")
    def _home_region_allowed(self) -> OrganizationConfig:
        if self.home_region not in self.allowed_regions:
            raise ValueError(
                f"home_region {self.home_region!r} is not in allowed_regions {self.allowed_regions}"
            )
        return self


# --------------------------------------------------------------------------- environments


class SubnetPrefixLengths(_Model):
    """Prefix length of each subnet tier; one subnet per tier per availability zone."""

    public: int = Field(ge=16, le=28)
    private: int = Field(ge=16, le=28)
    isolated: int = Field(ge=16, le=28)
    firewall: int = Field(default=28, ge=16, le=28)


class NetworkFirewallConfig(_Model):
    enabled: bool
    # Added to the organization-wide egress allow-list for this environment only.
    extra_allowed_domains: list[AllowedDomain] = Field(default_factory=list)


class NetworkConfig(_Model):
    vpc_cidr: ipaddress.IPv4Network
    subnet_prefix_lengths: SubnetPrefixLengths
    nat_gateways: Literal["single", "per_az"]
    network_firewall: NetworkFirewallConfig

    @field_validator("vpc_cidr", mode="before")
    @classmethod
    def _parse_cidr(cls, value: Any) -> ipaddress.IPv4Network:
        if not isinstance(value, str):
            raise ValueError(f"must be a CIDR string such as 10.0.0.0/16, got {value!r}")
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid IPv4 CIDR block ({exc})") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"{value!r}: a VPC CIDR must be between /16 and /24")
        if not network.is_private:
            raise ValueError(f"{value!r} is not in a private (RFC 1918) range")
        return network


class LoggingConfig(_Model):
    retention_days: int

    @field_validator("retention_days")
    @classmethod
    def _valid_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}"
            )
        return value


class Sizes(_Model):
    """Capacity knobs consumed by the compute and database stacks of later issues."""

    node_instance_types: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+\.[a-z0-9]+$")]
    ] = Field(min_length=1)
    node_min_size: int = Field(ge=1, le=100)
    node_max_size: int = Field(ge=1, le=1000)
    database_instance_class: Annotated[
        str, StringConstraints(pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
    ]
    database_allocated_storage_gib: int = Field(ge=20, le=65536)

    @model_validator(mode="after")
    def _min_le_max(self) -> Sizes:
        if self.node_min_size > self.node_max_size:
            raise ValueError("node_min_size must not exceed node_max_size")
        return self


class EnvironmentConfig(_Model):
    name: EnvironmentName
    account: WorkloadAccountKey
    region: Region
    availability_zones: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")]
    ]
    data_classification: TagValue
    domain_name: DomainName
    alarm_email: Email
    retain_stateful_resources: bool
    termination_protection: bool
    network: NetworkConfig
    logging: LoggingConfig
    sizes: Sizes

    @model_validator(mode="after")
    def _check(self) -> EnvironmentConfig:
        azs = self.availability_zones
        if len(set(azs)) != len(azs):
            raise ValueError("availability_zones contains duplicates")
        low = 3 if self.name in THREE_AZ_ENVIRONMENTS else 2
        if not low <= len(azs) <= 3:
            raise ValueError(
                f"availability_zones: {self.name} needs {'exactly 3' if low == 3 else '2 or 3'} "
                f"availability zones, got {len(azs)}"
            )
        foreign = [az for az in azs if az[:-1] != self.region]
        if foreign:
            raise ValueError(f"availability_zones {foreign} are not in region {self.region}")
        if self.name == "prod" and not self.retain_stateful_resources:
            raise ValueError("retain_stateful_resources must be true in prod")
        _check_subnets_fit(self.network, len(azs))
        return self

    @property
    def nat_gateway_count(self) -> int:
        return len(self.availability_zones) if self.network.nat_gateways == "per_az" else 1


def _check_subnets_fit(network: NetworkConfig, az_count: int) -> None:
    lengths = network.subnet_prefix_lengths
    tiers = {"public": lengths.public, "private": lengths.private, "isolated": lengths.isolated}
    if network.network_firewall.enabled:
        tiers["firewall"] = lengths.firewall
    vpc = network.vpc_cidr
    for tier, length in tiers.items():
        if length < vpc.prefixlen:
            raise ValueError(
                f"network.subnet_prefix_lengths.{tier}: /{length} is larger than "
                f"the VPC /{vpc.prefixlen}"
            )
    needed = sum(az_count * 2 ** (32 - length) for length in tiers.values())
    if needed > vpc.num_addresses:
        raise ValueError(
            f"network: {az_count} AZs x subnets {tiers} need {needed} addresses, "
            f"more than the {vpc.num_addresses} of {vpc}"
        )


# --------------------------------------------------------------------------- estate


class EstateConfig(_Model):
    """The whole estate: organization settings plus every environment, cross-validated."""

    organization: OrganizationConfig
    environments: dict[str, EnvironmentConfig]

    @property
    def accounts(self) -> Accounts:
        return self.organization.accounts

    def environment(self, name: str) -> EnvironmentConfig:
        try:
            return self.environments[name]
        except KeyError:
            raise ConfigError(
                [
                    ConfigIssue(
                        "environments",
                        name,
                        f"unknown environment; known: {sorted(self.environments)}",
                    )
                ]
            ) from None

    def account_id(self, env: EnvironmentConfig) -> str:
        return self.accounts.by_key(env.account).id

    def allowed_domains(self, env: EnvironmentConfig) -> list[str]:
        """The egress allow-list of one environment, region substituted, de-duplicated, ordered."""
        domains = [
            *self.organization.egress_allowed_domains,
            *env.network.network_firewall.extra_allowed_domains,
        ]
        resolved = [d.replace("{region}", env.region) for d in domains]
        return list(dict.fromkeys(resolved))

    def tags(self, env: EnvironmentConfig) -> dict[str, str]:
        """The mandatory tags for every taggable resource of one environment."""
        return {
            "Project": self.organization.project,
            "Environment": env.name,
            "Owner": self.organization.owner,
            "CostCenter": self.organization.cost_center,
            "DataClassification": env.data_classification,
        }


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.reason}"


class ConfigError(ValueError):
    """Invalid configuration; ``issues`` lists every problem with file, field and reason."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid infrastructure configuration:\n{lines}")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError([ConfigIssue(_display(path), "<file>", "file not found")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(
            [ConfigIssue(_display(path), "<file>", f"not valid YAML: {exc}")]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigIssue(_display(path), "<file>", "must contain a mapping at the top level")]
        )
    return data


def _issues_from(error: ValidationError, file: str) -> list[ConfigIssue]:
    issues = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "<root>"
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            reason = "required field is missing"
        issues.append(ConfigIssue(file, field, reason))
    return issues


def _parse(model: type[M], data: dict[str, Any], file: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_issues_from(exc, file)) from None


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
        for other_name, other_cidr in seen:
            if env.network.vpc_cidr.overlaps(other_cidr):
                yield ConfigIssue(
                    file,
                    "network.vpc_cidr",
                    f"{env.network.vpc_cidr} overlaps {other_cidr} of environment {other_name}",
                )
        seen.append((env.name, env.network.vpc_cidr))


def load_estate(
    config_dir: Path = DEFAULT_CONFIG_DIR, only: Sequence[str] | None = None
) -> EstateConfig:
    """Load and validate ``organization.yaml`` and every ``environments/*.yaml``.

    ``only`` restricts the result to the named environments (all files are still
    validated, so overlapping CIDRs are caught whatever is selected); an unknown
    name is an error.
    """
    org_file = config_dir / "organization.yaml"
    org = _parse(OrganizationConfig, _read_yaml(org_file), _display(org_file))

    env_dir = config_dir / "environments"
    files = sorted(env_dir.glob("*.yaml"))
    if not files:
        raise ConfigError(
            [ConfigIssue(_display(env_dir), "<dir>", "no environment files (*.yaml)")]
        )
    issues: list[ConfigIssue] = []
    parsed: dict[str, tuple[str, EnvironmentConfig]] = {}
    for path in files:
        file = _display(path)
        if not re.fullmatch(r"[a-z][a-z0-9-]*", path.stem):
            issues.append(
                ConfigIssue(file, "<file>", "environment file names must be lower-case names")
            )
            continue
        try:
            parsed[path.stem] = (file, _parse(EnvironmentConfig, _read_yaml(path), file))
        except ConfigError as exc:
            issues.extend(exc.issues)
    if not issues:
        issues.extend(_cross_validate(org, parsed))
    if issues:
        raise ConfigError(issues)

    environments = {name: env for name, (_, env) in parsed.items()}
    # Stable order: dev, staging, prod.
    ordered: dict[str, EnvironmentConfig] = {
        name: environments[name] for name in ENVIRONMENT_NAMES if name in environments
    }
    estate = EstateConfig(organization=org, environments=ordered)
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
        estate = EstateConfig(
            organization=org, environments={n: ordered[n] for n in ordered if n in only}
        )
    return estate
