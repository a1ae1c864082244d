"""Typed configuration for the management and security/logs accounts.

``infra/config/accounts/accounts.yaml`` holds only what is new for these accounts
(organization and root ids, OUs, account placement, guardrail attachments,
Identity Center, log archive, audit, detection, Security Lake). Everything the
estate already models is taken from ``infra/config/organization.yaml`` (the
foundation's ``OrganizationConfig``) and injected before validation: account
ids and e-mails, home and allowed regions, and the tag standard. Setting one of
those here is an error, so there is one source of truth.

Validated with pydantic: a bad value fails at load time with the file, the field
and the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from innovate_infra.accounts.permission_sets import PERMISSION_SETS
from innovate_infra.accounts.policies import POLICY_ROOT, available_policies
from innovate_infra.config import OrganizationConfig, load_estate

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[3] / "config" / "accounts" / "accounts.yaml"

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
OuPath = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9-]*(/[A-Za-z][A-Za-z0-9-]*)*$")
]
IsoHours = Annotated[str, StringConstraints(pattern=r"^PT([1-9]|1[0-2])H$")]
MemberKey = Literal["security", "development", "production"]
AccountKey = Literal["management", "security", "development", "production"]

REQUIRED_OUS = ("Security", "Workloads", "Workloads/NonProd", "Workloads/Prod")
ROOT_TARGET = "root"
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
SECURITY_LAKE_SOURCES = (
    "CLOUD_TRAIL_MGMT",
    "VPC_FLOW",
    "WAF",
    "EKS_AUDIT",
    "SH_FINDINGS",
    "ROUTE53",
    "S3_DATA",
    "LAMBDA_EXECUTION",
)


class ConfigError(ValueError):
    """The accounts configuration is invalid; the message names file, field and reason."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationSettings(_Model):
    organization_id: Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")]
    root_id: Annotated[str, StringConstraints(pattern=r"^r-[0-9a-z]{4,32}$")]
    management_account_id: AccountId
    home_region: Region
    organizational_units: list[OuPath]

    @model_validator(mode="after")
    def _ou_tree(self) -> OrganizationSettings:
        ous = self.organizational_units
        if len(set(ous)) != len(ous):
            raise ValueError("organizational_units: duplicate OU path")
        for ou in ous:
            parent = ou.rsplit("/", 1)[0] if "/" in ou else None
            if parent is not None and parent not in ous:
                raise ValueError(f"organizational_units: {ou!r} needs its parent {parent!r} listed")
        missing = [ou for ou in REQUIRED_OUS if ou not in ous]
        if missing:
            raise ValueError(f"organizational_units: missing required OUs {missing}")
        return self


class MemberAccount(_Model):
    account_id: AccountId
    name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    email: Email
    ou: OuPath
    lifecycle: Literal["create", "import"]
    """create: the stack creates the account; import: an existing account adopted with
    ``cdk import`` (see docs/accounts.md)."""


class TaggingStandard(_Model):
    project: list[str] = Field(min_length=1)
    environment: list[str] = Field(min_length=1)
    owner: list[str] = Field(min_length=1)
    cost_center: list[str] = Field(min_length=1)
    data_classification: list[str] = Field(min_length=1)
    enforced_for: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+:[A-Za-z_*:-]+$")]] = (
        Field(min_length=1)
    )


class Guardrails(_Model):
    allowed_regions: list[Region] = Field(min_length=1)
    cdk_qualifier: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,10}$")] = "hnb659fds"
    security_role_prefix: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9+=,.@_-]{3,40}$")]
    attachments: dict[str, list[str]]
    """Organization policy (``scp/...``, ``rcp/...``, ``tag/...``) -> targets
    (``root`` or an OU path)."""
    tagging: TaggingStandard

    @model_validator(mode="after")
    def _us_east_1(self) -> Guardrails:
        # The CloudFront certificate and web ACL live in us-east-1 (docs/architecture.md).
        if "us-east-1" not in self.allowed_regions:
            raise ValueError("allowed_regions: must include us-east-1 (CloudFront certificate/WAF)")
        return self


class Assignment(_Model):
    group: str
    permission_set: str
    accounts: list[AccountKey] = Field(min_length=1)


class IdentityCenter(_Model):
    instance_arn: Annotated[
        str, StringConstraints(pattern=r"^arn:aws:sso:::instance/(sso)?ins-[a-zA-Z0-9.-]{16}$")
    ]
    identity_store_id: Annotated[str, StringConstraints(pattern=r"^d-[0-9a-f]{10}$")]
    session_durations: dict[str, IsoHours] = {}
    groups: dict[str, Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{10}-|)[0-9a-f-]{36}$")]]
    assignments: list[Assignment] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> IdentityCenter:
        for name in self.session_durations:
            if name not in PERMISSION_SETS:
                raise ValueError(f"session_durations: unknown permission set {name!r}")
        for i, a in enumerate(self.assignments):
            where = f"assignments[{i}]"
            if a.group not in self.groups:
                raise ValueError(f"{where}.group: {a.group!r} is not in groups")
            spec = PERMISSION_SETS.get(a.permission_set)
            if spec is None:
                raise ValueError(
                    f"{where}.permission_set: {a.permission_set!r} is not one of "
                    f"{sorted(PERMISSION_SETS)}"
                )
            if "production" in a.accounts and not spec.production_allowed:
                raise ValueError(
                    f"{where}: permission set {a.permission_set!r} grants write access and may "
                    "not be assigned in the production account (use ReadOnly there)"
                )
        return self


class LogArchive(_Model):
    bucket_prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,20}$")]
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"]
    object_lock_days: int = Field(ge=1, le=3650)
    infrequent_access_after_days: int = Field(ge=30)
    glacier_after_days: int
    deep_archive_after_days: int
    expire_after_days: int

    @model_validator(mode="after")
    def _lifecycle_order(self) -> LogArchive:
        if not (
            self.infrequent_access_after_days
            < self.glacier_after_days
            < self.deep_archive_after_days
            < self.expire_after_days
        ):
            raise ValueError(
                "lifecycle days must increase: infrequent_access_after_days < "
                "glacier_after_days < deep_archive_after_days < expire_after_days"
            )
        if self.expire_after_days < self.object_lock_days:
            raise ValueError("expire_after_days must not be shorter than object_lock_days")
        return self


class Audit(_Model):
    alarm_email: Email
    cloudwatch_retention_days: int
    sensitive_data_bucket_prefixes: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{2,62}$")]
    ] = Field(min_length=1)

    @model_validator(mode="after")
    def _retention(self) -> Audit:
        if self.cloudwatch_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"cloudwatch_retention_days: {self.cloudwatch_retention_days} is not a CloudWatch "
                f"Logs retention period; use one of {LOG_RETENTION_DAYS}"
            )
        return self


class Detection(_Model):
    guardduty_finding_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"]
    cis_standard_version: Literal["1.4.0", "3.0.0"]


class SecurityLake(_Model):
    enabled: bool = False
    retention_days: int = Field(ge=1, le=3650)
    transition_to_glacier_after_days: int = Field(ge=30)
    sources: list[Literal[SECURITY_LAKE_SOURCES]] = Field(min_length=1)  # type: ignore[valid-type]
    subscriber_account_id: AccountId | None = None
    """Account that queries the lake with Athena; the security account when unset."""
    subscriber_external_id: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z0-9+=,.@:/-]{2,1224}$")
    ]

    @model_validator(mode="after")
    def _retention(self) -> SecurityLake:
        if self.transition_to_glacier_after_days >= self.retention_days:
            raise ValueError("transition_to_glacier_after_days must be below retention_days")
        return self


class AccountsConfig(_Model):
    organization: OrganizationSettings
    accounts: dict[MemberKey, MemberAccount]
    guardrails: Guardrails
    identity_center: IdentityCenter
    log_archive: LogArchive
    audit: Audit
    detection: Detection
    security_lake: SecurityLake

    @model_validator(mode="after")
    def _cross_references(self) -> AccountsConfig:
        missing = {"security", "development", "production"} - set(self.accounts)
        if missing:
            raise ValueError(f"accounts: missing {sorted(missing)}")
        ids = [a.account_id for a in self.accounts.values()] + [
            self.organization.management_account_id
        ]
        if len(set(ids)) != len(ids):
            raise ValueError("accounts: every account id must be distinct (management included)")
        ous = set(self.organization.organizational_units)
        for key, account in self.accounts.items():
            if account.ou not in ous:
                raise ValueError(f"accounts.{key}.ou: {account.ou!r} is not an organizational unit")
        if self.organization.home_region not in self.guardrails.allowed_regions:
            raise ValueError("guardrails.allowed_regions: must include organization.home_region")
        known = set()
        for folder in ("scp", "rcp", "tag"):
            known.update(available_policies(folder, POLICY_ROOT))
        for policy, targets in self.guardrails.attachments.items():
            if policy not in known:
                raise ValueError(
                    f"guardrails.attachments: {policy!r} is not a file under infra/policies "
                    f"(known: {sorted(known)})"
                )
            if not targets:
                raise ValueError(f"guardrails.attachments.{policy}: needs at least one target")
            for target in targets:
                if target != ROOT_TARGET and target not in ous:
                    raise ValueError(
                        f"guardrails.attachments.{policy}: target {target!r} is neither "
                        f"{ROOT_TARGET!r} nor an organizational unit"
                    )
        return self

    def account_id(self, key: AccountKey) -> str:
        if key == "management":
            return self.organization.management_account_id
        return self.accounts[key].account_id

    @property
    def security_account_id(self) -> str:
        return self.accounts["security"].account_id

    def session_duration(self, permission_set: str) -> str:
        return self.identity_center.session_durations.get(
            permission_set, PERMISSION_SETS[permission_set].session_duration
        )


# accounts.yaml member key -> organization.yaml account key.
_ORG_ACCOUNT_KEYS = {
    "security": "security_logs",
    "development": "development",
    "production": "production",
}


def _inject(data: dict[str, Any], organization: OrganizationConfig, path: Path) -> dict[str, Any]:
    """Copy the estate-wide values from organization.yaml into the accounts data."""
    conflicts: list[str] = []

    def put(section: Any, key: str, value: Any, where: str) -> None:
        if not isinstance(section, dict):
            return
        if key in section:
            conflicts.append(
                f"{path}: {where}.{key}: set in organization.yaml (single source of truth); "
                "remove it here"
            )
        section[key] = value

    org = data.get("organization")
    put(org, "management_account_id", organization.accounts.management.id, "organization")
    put(org, "home_region", organization.home_region, "organization")
    accounts = data.get("accounts")
    if isinstance(accounts, dict):
        for key, org_key in _ORG_ACCOUNT_KEYS.items():
            source = getattr(organization.accounts, org_key)
            put(accounts.get(key), "account_id", source.id, f"accounts.{key}")
            put(accounts.get(key), "email", source.email, f"accounts.{key}")
    guardrails = data.get("guardrails")
    if isinstance(guardrails, dict):
        put(guardrails, "allowed_regions", list(organization.allowed_regions), "guardrails")
        enforced_for = guardrails.pop("tag_policy_enforced_for", None)
        standard = organization.tag_standard
        put(
            guardrails,
            "tagging",
            {
                "project": [organization.project],
                "environment": list(standard.environments),
                "owner": [organization.owner],
                "cost_center": [organization.cost_center],
                "data_classification": list(standard.data_classifications),
                "enforced_for": enforced_for,
            },
            "guardrails",
        )
    if conflicts:
        raise ConfigError("\n".join(conflicts))
    return data


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "(top level)"
        msg = re.sub(r"^Value error, ", "", err["msg"])
        lines.append(f"{path}: {field}: {msg}")
    return "\n".join(lines)


def parse_accounts_config(
    data: Any, path: Path, organization: OrganizationConfig
) -> AccountsConfig:
    """Validate already-parsed YAML; errors name ``path`` and the field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping")
    data = _inject(data, organization, path)
    try:
        return AccountsConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None


def load_accounts_config(
    path: Path = DEFAULT_CONFIG_PATH, organization: OrganizationConfig | None = None
) -> AccountsConfig:
    """Load ``accounts.yaml``; ``organization`` defaults to the estate's organization.yaml
    (``<path>/../../organization.yaml``), loaded and validated by the foundation loader."""
    if organization is None:
        organization = load_estate(path.resolve().parents[1]).organization
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    return parse_accounts_config(data, path, organization)
