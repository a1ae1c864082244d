"""IAM Identity Center permission sets and group-to-account assignments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_sso as sso
from constructs import Construct

from innovate_infra.constructs.identity.permission_sets import PERMISSION_SETS
from innovate_infra.constructs.organization.policies import ParamValue, render_policy


@dataclass(frozen=True)
class AssignmentSpec:
    group: str
    permission_set: str
    account_key: str
    """Names the assignment's construct id (``Assign-<group>-<set>-<account key>``)."""
    account_id: str


@dataclass(frozen=True)
class IdentityCenterAccessProps:
    instance_arn: str
    group_ids: Mapping[str, str]
    session_durations: Mapping[str, str]
    """Permission set -> ISO 8601 duration; the catalogue's default when absent."""
    assignments: Sequence[AssignmentSpec]
    policy_parameters: Mapping[str, ParamValue]
    """Values of the inline policies' ``{{Name}}`` placeholders."""


class IdentityCenterAccess(Construct):
    """Every catalogued permission set, and one assignment per (group, set, account)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: IdentityCenterAccessProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.permission_sets: dict[str, sso.CfnPermissionSet] = {}
        for name, spec in PERMISSION_SETS.items():
            inline = (
                render_policy(spec.inline_policy, props.policy_parameters).document
                if spec.inline_policy is not None
                else None
            )
            self.permission_sets[name] = sso.CfnPermissionSet(
                self,
                "PermissionSet" + name,
                instance_arn=props.instance_arn,
                name=name,
                description=spec.description,
                session_duration=props.session_durations.get(name, spec.session_duration),
                managed_policies=list(spec.managed_policies),
                inline_policy=inline,
            )

        self.assignments: list[sso.CfnAssignment] = []
        for assignment in props.assignments:
            self.assignments.append(
                sso.CfnAssignment(
                    self,
                    f"Assign-{assignment.group}-{assignment.permission_set}-{assignment.account_key}",
                    instance_arn=props.instance_arn,
                    permission_set_arn=self.permission_sets[
                        assignment.permission_set
                    ].attr_permission_set_arn,
                    principal_type="GROUP",
                    principal_id=props.group_ids[assignment.group],
                    target_type="AWS_ACCOUNT",
                    target_id=assignment.account_id,
                )
            )
