"""AWS Organizations structure: OUs, member accounts, and guardrail policies by target."""

from __future__ import annotations

from aws_cdk import CfnTag, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_organizations as orgs
from constructs import Construct

from innovate_infra.accounts.config import ROOT_TARGET, AccountsConfig
from innovate_infra.accounts.guardrails import ORGANIZATION_ACCESS_ROLE, policy_parameters
from innovate_infra.accounts.org_api import OrganizationApiCall
from innovate_infra.accounts.policies import PolicyType, render_policy

POLICY_NAME_PREFIX = "innovate-"


class OrganizationStructure(Construct):
    """OUs and member accounts. Accounts are retained on stack deletion: removing an
    account from code must never close or detach it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id)
        root_id = config.organization.root_id
        self.ou_ids: dict[str, str] = {ROOT_TARGET: root_id}
        self.ous: dict[str, orgs.CfnOrganizationalUnit] = {}
        for path in sorted(config.organization.organizational_units, key=lambda p: p.count("/")):
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
        for key, account in config.accounts.items():
            resource = orgs.CfnAccount(
                self,
                "Account" + key.capitalize(),
                account_name=account.name,
                email=account.email,
                parent_ids=[self.ou_ids[account.ou]],
                role_name=ORGANIZATION_ACCESS_ROLE,
                tags=[CfnTag(key="AccountKey", value=key)],
            )
            resource.apply_removal_policy(RemovalPolicy.RETAIN)
            self.accounts[key] = resource


class GuardrailPolicies(Construct):
    """SCPs, RCPs and tag policies from ``infra/policies``, attached per config.

    The policy types are enabled on the root first (idempotent API calls), because
    an attachment fails while its type is disabled.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AccountsConfig,
        target_ids: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        params = policy_parameters(config)
        root_id = config.organization.root_id
        type_calls: dict[PolicyType, OrganizationApiCall] = {}
        for policy_type in PolicyType:
            type_calls[policy_type] = OrganizationApiCall(
                self,
                "Enable" + policy_type.value.title().replace("_", ""),
                service="Organizations",
                action="EnablePolicyType",
                parameters={"RootId": root_id, "PolicyType": policy_type.value},
                physical_id=f"{root_id}-{policy_type.value}",
                ignore_errors="PolicyTypeAlreadyEnabledException",
                statements=[
                    iam.PolicyStatement(
                        actions=["organizations:EnablePolicyType"],
                        resources=[
                            f"arn:aws:organizations::{config.organization.management_account_id}"
                            f":root/{config.organization.organization_id}/{root_id}"
                        ],
                    ),
                    iam.PolicyStatement(
                        # Organizations evaluates these read calls against "*" only.
                        actions=["organizations:DescribeOrganization", "organizations:ListRoots"],
                        resources=["*"],
                    ),
                ],
            )

        self.policies: dict[str, orgs.CfnPolicy] = {}
        for name, targets in config.guardrails.attachments.items():
            rendered = render_policy(name, params)
            policy = orgs.CfnPolicy(
                self,
                "Policy" + name.replace("/", "-").title().replace("-", ""),
                name=POLICY_NAME_PREFIX + name.replace("/", "-"),
                description=f"Reviewed document infra/policies/{name}.json",
                type=rendered.policy_type.value,
                content=rendered.document,
                target_ids=[target_ids[t] for t in targets],
            )
            policy.node.add_dependency(type_calls[rendered.policy_type])
            self.policies[name] = policy
