"""The catalogue of IAM Identity Center permission sets the platform provisions.

Permission sets are code (reviewed here and in ``infra/policies/permission-sets``);
which group gets which set in which account is config
(``infra/config/accounts/accounts.yaml``), checked against this catalogue by
``stacks/accounts/identity.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

AWS_MANAGED = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class PermissionSetSpec:
    name: str
    description: str
    managed_policies: tuple[str, ...]
    inline_policy: str | None
    """Name of a document under ``infra/policies`` (``permission-sets/...``), or None."""
    session_duration: str
    """ISO 8601 duration; short for powerful sets."""
    production_allowed: bool
    """False for sets that may write to workloads: they are refused for the production account."""
    management_only: bool = False
    """True for sets that operate the organization: refused outside the management account."""


PERMISSION_SETS: dict[str, PermissionSetSpec] = {
    spec.name: spec
    for spec in (
        PermissionSetSpec(
            name="BreakGlassAdmin",
            description="Emergency full administrator; every use is alarmed and reviewed.",
            managed_policies=(AWS_MANAGED + "AdministratorAccess",),
            inline_policy=None,
            session_duration="PT1H",
            production_allowed=True,
        ),
        PermissionSetSpec(
            name="PlatformEngineer",
            description="Operates the platform; deploys to Development through the CDK bootstrap "
            "roles (production and security/logs: the delivery pipeline only).",
            managed_policies=(AWS_MANAGED + "PowerUserAccess",),
            inline_policy="permission-sets/platform-engineer",
            session_duration="PT4H",
            production_allowed=True,
        ),
        PermissionSetSpec(
            name="OrganizationAdmin",
            description="Routine management-account changes (SCPs, Identity Center, trail, "
            "budgets) through the management account's CDK deploy role; invites accounts.",
            managed_policies=(AWS_MANAGED + "ReadOnlyAccess",),
            inline_policy="permission-sets/organization-admin",
            session_duration="PT2H",
            production_allowed=True,
            management_only=True,
        ),
        PermissionSetSpec(
            name="Developer",
            description="Builds and debugs workloads; write access, never in production.",
            managed_policies=(AWS_MANAGED + "PowerUserAccess",),
            inline_policy="permission-sets/developer",
            session_duration="PT8H",
            production_allowed=False,
        ),
        PermissionSetSpec(
            name="ReadOnly",
            description="Reads configuration and metrics; cannot read data, secrets or objects.",
            managed_policies=(AWS_MANAGED + "ReadOnlyAccess",),
            inline_policy="permission-sets/read-only",
            session_duration="PT8H",
            production_allowed=True,
        ),
        PermissionSetSpec(
            name="SecurityAuditor",
            description="Reviews configuration and security findings; reads logs in the archive.",
            managed_policies=(AWS_MANAGED + "SecurityAudit",),
            inline_policy="permission-sets/security-auditor",
            session_duration="PT4H",
            production_allowed=True,
        ),
    )
}
