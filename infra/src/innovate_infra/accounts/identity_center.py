"""IAM Identity Center permission sets and group-to-account assignments."""

from __future__ import annotations

from aws_cdk import aws_sso as sso
from constructs import Construct

from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.guardrails import policy_parameters
from innovate_infra.accounts.permission_sets import PERMISSION_SETS
from innovate_infra.accounts.policies import render_policy


class IdentityCenterAccess(Construct):
    """Every catalogued permission set, and one assignment per (group, set, account)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AccountsConfig) -> None:
        super().__init__(scope, construct_id)
        ic = config.identity_center
        params = policy_parameters(config)
        self.permission_sets: dict[str, sso.CfnPermissionSet] = {}
        for name, spec in PERMISSION_SETS.items():
            inline = (
                render_policy(spec.inline_policy, params).document
                if spec.inline_policy is not None
                else None
            )
            self.permission_sets[name] = sso.CfnPermissionSet(
                self,
                "PermissionSet" + name,
                instance_arn=ic.instance_arn,
                name=name,
                description=spec.description,
                session_duration=config.session_duration(name),
                managed_policies=list(spec.managed_policies),
                inline_policy=inline,
            )

        self.assignments: list[sso.CfnAssignment] = []
        for assignment in ic.assignments:
            for account in assignment.accounts:
                self.assignments.append(
                    sso.CfnAssignment(
                        self,
                        f"Assign-{assignment.group}-{assignment.permission_set}-{account}",
                        instance_arn=ic.instance_arn,
                        permission_set_arn=self.permission_sets[
                            assignment.permission_set
                        ].attr_permission_set_arn,
                        principal_type="GROUP",
                        principal_id=ic.groups[assignment.group],
                        target_type="AWS_ACCOUNT",
                        target_id=config.account_id(account),
                    )
                )
