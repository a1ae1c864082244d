"""Management account: the organization's OUs, member accounts and guardrail policies."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import ConfigError, ConfigIssue, PlatformConfig
from innovate_infra.config.accounts import ROOT_TARGET, MemberAccount
from innovate_infra.config.loader import ACCOUNTS_FILE
from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.organization.access_role import (
    ImportedAccount,
    OrganizationAccessRoles,
    OrganizationAccessRolesProps,
)
from innovate_infra.constructs.organization.guardrails import (
    GuardrailAttachment,
    GuardrailPolicies,
    GuardrailPoliciesProps,
)
from innovate_infra.constructs.organization.structure import (
    MemberAccountSpec,
    OrganizationStructure,
    OrganizationStructureProps,
    Placement,
)
from innovate_infra.naming import ORGANIZATION_ACCESS_ROLE, Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters
from innovate_infra.stacks.base import PlatformStack, StackSettings

# CDK context of the one synth that `make import-accounts` hands to `cdk import`
# (docs/deploy.md, "Existing accounts"): -c organization-import=adopt.
IMPORT_CONTEXT = "organization-import"
ADOPT = "adopt"


def placement(member: MemberAccount, *, adopting: bool) -> Placement | None:
    """How the Organization stack holds a member account; None: not at all.

    An existing account (``lifecycle: import``) is left out until it has been imported, so
    that no deploy can ever try to create it; only the import synth adds it, exactly as
    it is (at the root, untagged); once ``imported: true``, deploys place and tag it.
    """
    if member.lifecycle == "create":
        return "create"
    if member.imported:
        return "imported"
    return "adopt" if adopting else None


def adopting(scope: Construct) -> bool:
    value = scope.node.try_get_context(IMPORT_CONTEXT)
    if value is None:
        return False
    if value != ADOPT:
        raise ConfigError(
            [ConfigIssue("context", IMPORT_CONTEXT, f"{value!r}: the only value is {ADOPT!r}")]
        )
    return True


class OrganizationStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "management"
    PURPOSE = "organization"
    DESCRIPTION = "Organization OUs, member accounts, SCPs, RCPs and tag policies"
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
        org = platform.accounts.organization
        adopt = adopting(self)
        placements = {
            key: placement(member, adopting=adopt)
            for key, member in platform.accounts.accounts.items()
        }
        if adopt and "adopt" not in placements.values():
            raise ConfigError(
                [
                    ConfigIssue(
                        f"config/{ACCOUNTS_FILE}",
                        "accounts",
                        f"-c {IMPORT_CONTEXT}={ADOPT}: no account has lifecycle: import with "
                        "imported: false, so there is nothing to import",
                    )
                ]
            )
        self.structure = OrganizationStructure(
            self,
            "Structure",
            props=OrganizationStructureProps(
                root_id=org.root_id,
                organizational_units=org.organizational_units,
                members={
                    key: MemberAccountSpec(
                        name=member.name,
                        email=platform.organization.accounts.by_key(key).email,
                        ou=member.ou,
                        placement=where,
                    )
                    for key, member in platform.accounts.accounts.items()
                    if (where := placements[key]) is not None
                },
                access_role_name=ORGANIZATION_ACCESS_ROLE,
            ),
        )
        imported: dict[str, ImportedAccount] = {
            key: ImportedAccount(
                account_id=platform.account_id(key), ou_id=self.structure.ou_ids[member.ou]
            )
            for key, member in platform.accounts.accounts.items()
            if placements[key] == "imported"
        }
        # Item 12: invited accounts get the access role the bootstrap step assumes.
        self.access_roles = (
            OrganizationAccessRoles(
                self,
                "ImportedAccountAccess",
                props=OrganizationAccessRolesProps(
                    management_account_id=platform.account_id("management"),
                    region=platform.home_region,
                    role_name=ORGANIZATION_ACCESS_ROLE,
                    stack_set_name=naming.stack_name("management", "imported-account-access"),
                    imported=imported,
                ),
            )
            if imported
            else None
        )
        if self.access_roles is not None:
            # The StackSet targets the account within its OU: after the deploy moved it there.
            for key in imported:
                self.access_roles.stack_set.node.add_dependency(self.structure.accounts[key])
        target_ids = {ROOT_TARGET: org.root_id, **self.structure.ou_ids}
        self.guardrails = GuardrailPolicies(
            self,
            "Guardrails",
            props=GuardrailPoliciesProps(
                management_account_id=platform.account_id("management"),
                organization_id=org.organization_id,
                root_id=org.root_id,
                attachments=[
                    GuardrailAttachment(
                        document=document,
                        policy_name=naming.organization_policy_name(document),
                        target_ids=[target_ids[target] for target in targets],
                    )
                    for document, targets in platform.accounts.guardrails.attachments.items()
                ],
                parameters=policy_parameters(platform, naming),
            ),
        )
