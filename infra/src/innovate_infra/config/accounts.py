"""``accounts/accounts.yaml``: what is specific to the management and security/logs
accounts: organization structure, member accounts, guardrail attachments, Identity
Center, the log archive, audit, detection and Security Lake.

Account ids and e-mails, regions and the tag standard are in ``organization.yaml``
only. Policy documents and the permission-set catalogue are checked by the code that
renders them (``constructs/organization/policies.py``, ``constructs/identity/``),
not here: configuration does not depend on the things it configures.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from innovate_infra.config.types import (
    ACCOUNT_KEYS,
    AccountId,
    AccountKey,
    Email,
    IsoHours,
    MemberKey,
    Model,
    OuPath,
    S3Prefix,
    check_retention,
)

REQUIRED_OUS = ("Security", "Workloads", "Workloads/NonProd", "Workloads/Prod")
ROOT_TARGET = "root"
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


class OrganizationSettings(Model):
    organization_id: Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")]
    root_id: Annotated[str, StringConstraints(pattern=r"^r-[0-9a-z]{4,32}$")]
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


class MemberAccount(Model):
    name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    ou: OuPath
    lifecycle: Literal["create", "import"]
    """create: the stack creates the account; import: an existing account, adopted with
    ``cdk import`` and never created (docs/deploy.md, "Existing accounts")."""
    imported: bool = False
    """import only: false until ``make import-accounts`` has adopted the account into the
    Organization stack. While false the stack has no resource for the account at all, so no
    deploy can try to create it; set it true once the import has succeeded."""

    @model_validator(mode="after")
    def _imported(self) -> MemberAccount:
        if self.imported and self.lifecycle != "import":
            raise ValueError("imported: only an account with lifecycle: import can be imported")
        return self


class Guardrails(Model):
    cdk_qualifier: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,10}$")] = "hnb659fds"
    security_role_prefix: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9+=,.@_-]{3,40}$")]
    attachments: dict[str, list[str]]
    """Organization policy (``scp/...``, ``rcp/...``, ``tag/...``) -> targets
    (``root`` or an OU path)."""
    tag_policy_enforced_for: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+:[A-Za-z_*:-]+$")]
    ] = Field(min_length=1)


class Assignment(Model):
    group: str
    permission_set: str
    accounts: list[AccountKey] = Field(min_length=1)


class IdentityCenter(Model):
    instance_arn: Annotated[
        str, StringConstraints(pattern=r"^arn:aws:sso:::instance/(sso)?ins-[a-zA-Z0-9.-]{16}$")
    ]
    identity_store_id: Annotated[str, StringConstraints(pattern=r"^d-[0-9a-f]{10}$")]
    session_durations: dict[str, IsoHours] = Field(default_factory=dict)
    groups: dict[str, Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{10}-|)[0-9a-f-]{36}$")]]
    assignments: list[Assignment] = Field(min_length=1)

    @model_validator(mode="after")
    def _groups(self) -> IdentityCenter:
        for i, a in enumerate(self.assignments):
            if a.group not in self.groups:
                raise ValueError(f"assignments[{i}].group: {a.group!r} is not in groups")
        return self


class LogArchiveSettings(Model):
    """The organization log archive in the security/logs account. Bucket names are
    derived (``naming.Naming.log_bucket_name``), not configured."""

    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"]
    """Default retention mode of the archive buckets (the Config bucket has no Object Lock:
    AWS Config cannot deliver to an Object-Lock bucket)."""
    cloudtrail_object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    """The CloudTrail bucket's mode. COMPLIANCE for a production organization: no one,
    root included, can shorten or remove it, whatever the bucket policy says; keep
    GOVERNANCE while trying the estate out (COMPLIANCE objects cannot be deleted)."""
    object_lock_days: int = Field(ge=1, le=3650)
    infrequent_access_after_days: int = Field(ge=30)
    glacier_after_days: int
    deep_archive_after_days: int
    expire_after_days: int
    # Key prefixes of the environments' network logs in the network-log bucket.
    flow_logs_prefix: S3Prefix
    network_firewall_prefix: S3Prefix

    @model_validator(mode="after")
    def _lifecycle_order(self) -> LogArchiveSettings:
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


class Audit(Model):
    alarm_email: Email
    cloudwatch_retention_days: int
    sensitive_data_bucket_prefixes: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{2,62}$")]
    ] = Field(min_length=1)

    _retention = field_validator("cloudwatch_retention_days")(check_retention)


class Detection(Model):
    guardduty_finding_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"]
    cis_standard_version: Literal["1.4.0", "3.0.0"]


class SecurityLake(Model):
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


class Budgets(Model):
    """A monthly AWS Budget per account (created in the management account, the payer,
    filtered on the linked account), alerting by e-mail on actual and forecast spend."""

    alert_email: Email
    monthly_usd: dict[AccountKey, Annotated[int, Field(ge=1, le=1_000_000)]]
    actual_thresholds_percent: list[Annotated[int, Field(ge=1, le=1000)]] = Field(min_length=1)
    forecast_threshold_percent: Annotated[int, Field(ge=1, le=1000)]

    @model_validator(mode="after")
    def _every_account(self) -> Budgets:
        missing = [key for key in ACCOUNT_KEYS if key not in self.monthly_usd]
        if missing:
            raise ValueError(f"monthly_usd: missing {missing} (every account has a budget)")
        if len(set(self.actual_thresholds_percent)) != len(self.actual_thresholds_percent):
            raise ValueError("actual_thresholds_percent: duplicate threshold")
        return self


class AccountsConfig(Model):
    organization: OrganizationSettings
    accounts: dict[MemberKey, MemberAccount]
    guardrails: Guardrails
    identity_center: IdentityCenter
    log_archive: LogArchiveSettings
    audit: Audit
    detection: Detection
    security_lake: SecurityLake
    budgets: Budgets

    @model_validator(mode="after")
    def _cross_references(self) -> AccountsConfig:
        missing = {"security", "development", "production"} - set(self.accounts)
        if missing:
            raise ValueError(f"accounts: missing {sorted(missing)}")
        ous = set(self.organization.organizational_units)
        for key, account in self.accounts.items():
            if account.ou not in ous:
                raise ValueError(f"accounts.{key}.ou: {account.ou!r} is not an organizational unit")
        for policy, targets in self.guardrails.attachments.items():
            if not targets:
                raise ValueError(f"guardrails.attachments.{policy}: needs at least one target")
            for target in targets:
                if target != ROOT_TARGET and target not in ous:
                    raise ValueError(
                        f"guardrails.attachments.{policy}: target {target!r} is neither "
                        f"{ROOT_TARGET!r} nor an organizational unit"
                    )
        return self
