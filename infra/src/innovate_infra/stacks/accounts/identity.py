"""Management account: IAM Identity Center permission sets and group assignments."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import ConfigError, ConfigIssue, PlatformConfig
from innovate_infra.config.accounts import IdentityCenter
from innovate_infra.config.loader import ACCOUNTS_FILE
from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.identity.access import (
    AssignmentSpec,
    IdentityCenterAccess,
    IdentityCenterAccessProps,
)
from innovate_infra.constructs.identity.permission_sets import PERMISSION_SETS
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters
from innovate_infra.stacks.base import PlatformStack, StackSettings


def check_identity_center(identity_center: IdentityCenter) -> None:
    """The configured permission sets against the catalogue; a write-capable set is
    refused in the production account."""
    issues: list[ConfigIssue] = []
    file = f"config/{ACCOUNTS_FILE}"
    for name in identity_center.session_durations:
        if name not in PERMISSION_SETS:
            issues.append(
                ConfigIssue(
                    file,
                    f"identity_center.session_durations.{name}",
                    f"unknown permission set {name!r}",
                )
            )
    for i, assignment in enumerate(identity_center.assignments):
        where = f"identity_center.assignments.{i}"
        spec = PERMISSION_SETS.get(assignment.permission_set)
        if spec is None:
            issues.append(
                ConfigIssue(
                    file,
                    f"{where}.permission_set",
                    f"{assignment.permission_set!r} is not one of {sorted(PERMISSION_SETS)}",
                )
            )
        elif spec.management_only and set(assignment.accounts) != {"management"}:
            issues.append(
                ConfigIssue(
                    file,
                    where,
                    f"permission set {assignment.permission_set!r} operates the organization and "
                    "may be assigned in the management account only",
                )
            )
        elif "production" in assignment.accounts and not spec.production_allowed:
            issues.append(
                ConfigIssue(
                    file,
                    where,
                    f"permission set {assignment.permission_set!r} grants write access and may "
                    "not be assigned in the production account (use ReadOnly there)",
                )
            )
    if issues:
        raise ConfigError(issues)


class IdentityStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "management"
    PURPOSE = "identity"
    DESCRIPTION = "IAM Identity Center permission sets and group assignments"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        platform: PlatformConfig,
        naming: Naming,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        ic = platform.accounts.identity_center
        check_identity_center(ic)
        self.access = IdentityCenterAccess(
            self,
            "IdentityCenter",
            props=IdentityCenterAccessProps(
                instance_arn=ic.instance_arn,
                group_ids=ic.groups,
                session_durations=ic.session_durations,
                assignments=[
                    AssignmentSpec(
                        group=assignment.group,
                        permission_set=assignment.permission_set,
                        account_key=account,
                        account_id=platform.account_id(account),
                    )
                    for assignment in ic.assignments
                    for account in assignment.accounts
                ],
                policy_parameters=policy_parameters(platform, naming),
            ),
        )
