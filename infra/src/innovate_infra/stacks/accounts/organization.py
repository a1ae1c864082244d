"""Management account: the organization's OUs, member accounts and guardrail policies."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.accounts import ROOT_TARGET
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
)
from innovate_infra.naming import ORGANIZATION_ACCESS_ROLE, Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters
from innovate_infra.stacks.base import PlatformStack, StackSettings


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
                    )
                    for key, member in platform.accounts.accounts.items()
                },
                access_role_name=ORGANIZATION_ACCESS_ROLE,
            ),
        )
        imported: dict[str, ImportedAccount] = {
            key: ImportedAccount(
                account_id=platform.account_id(key), ou_id=self.structure.ou_ids[member.ou]
            )
            for key, member in platform.accounts.accounts.items()
            if member.lifecycle == "import"
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
