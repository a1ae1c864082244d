"""AWS Organizations structure: OUs and member accounts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import CfnTag, RemovalPolicy
from aws_cdk import aws_organizations as orgs
from constructs import Construct

# create: CloudFormation creates the account. adopt: an existing account as it is before
# `cdk import` (at the root, untagged): the import change set may only add resources
# that model the current state exactly. imported: an adopted account, placed and tagged
# by the next deploy. RoleName is never set on an existing account: it applies only when
# Organizations creates one (and may not change after the import).
Placement = Literal["create", "adopt", "imported"]


@dataclass(frozen=True)
class MemberAccountSpec:
    name: str
    email: str
    ou: str
    placement: Placement = "create"


@dataclass(frozen=True)
class OrganizationStructureProps:
    root_id: str
    organizational_units: Sequence[str]
    """OU paths such as ``Workloads/Prod``; parents are listed (validated with the config)."""
    members: Mapping[str, MemberAccountSpec]
    """Account key (``security``, ...) -> account. An existing account not yet imported is
    absent: no resource, so nothing can create it."""
    access_role_name: str
    """Role that account creation leaves in each member, assumable from management."""


class OrganizationStructure(Construct):
    """OUs and member accounts. Accounts are retained on stack deletion: removing an
    account from code must never close or detach it."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: OrganizationStructureProps
    ) -> None:
        super().__init__(scope, construct_id)
        root_id = props.root_id
        # OU path -> id (a token), for policy attachments and StackSet targets.
        self.ou_ids: dict[str, str] = {}
        self.ous: dict[str, orgs.CfnOrganizationalUnit] = {}
        for path in sorted(props.organizational_units, key=lambda p: p.count("/")):
            parent, _, name = path.rpartition("/")
            ou = orgs.CfnOrganizationalUnit(
                self,
                "Ou" + path.replace("/", ""),
                name=name,
                parent_id=self.ou_ids[parent] if parent else root_id,
            )
            ou.apply_removal_policy(RemovalPolicy.RETAIN)
            self.ous[path] = ou
            self.ou_ids[path] = ou.attr_id

        self.accounts: dict[str, orgs.CfnAccount] = {}
        for key, account in props.members.items():
            adopting = account.placement == "adopt"
            resource = orgs.CfnAccount(
                self,
                "Account" + key.capitalize(),
                account_name=account.name,
                email=account.email,
                parent_ids=[root_id if adopting else self.ou_ids[account.ou]],
                role_name=props.access_role_name if account.placement == "create" else None,
                tags=None if adopting else [CfnTag(key="AccountKey", value=key)],
            )
            resource.apply_removal_policy(RemovalPolicy.RETAIN)
            self.accounts[key] = resource
