"""Guardrail policies (SCPs, RCPs, tag policies) from ``infra/policies``, attached to
their targets, with their policy types enabled on the root first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_organizations as orgs
from constructs import Construct

from innovate_infra.constructs.organization.api_call import OrganizationApiCall
from innovate_infra.constructs.organization.policies import (
    ParamValue,
    PolicyType,
    render_policy,
)


@dataclass(frozen=True)
class GuardrailAttachment:
    document: str
    """Path below ``infra/policies`` without ``.json``, e.g. ``scp/prod-guardrails``."""
    policy_name: str
    target_ids: Sequence[str]


@dataclass(frozen=True)
class GuardrailPoliciesProps:
    management_account_id: str
    organization_id: str
    root_id: str
    attachments: Sequence[GuardrailAttachment]
    parameters: Mapping[str, ParamValue]
    """Values of the documents' ``{{Name}}`` placeholders."""


class GuardrailPolicies(Construct):
    """The reviewed documents, rendered and attached.

    The policy types are enabled on the root first (idempotent API calls), because
    an attachment fails while its type is disabled.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: GuardrailPoliciesProps
    ) -> None:
        super().__init__(scope, construct_id)
        root_id = props.root_id
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
                            f"arn:aws:organizations::{props.management_account_id}"
                            f":root/{props.organization_id}/{root_id}"
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
        for attachment in props.attachments:
            name = attachment.document
            rendered = render_policy(name, props.parameters)
            policy = orgs.CfnPolicy(
                self,
                "Policy" + name.replace("/", "-").title().replace("-", ""),
                name=attachment.policy_name,
                description=f"Reviewed document infra/policies/{name}.json",
                type=rendered.policy_type.value,
                content=rendered.document,
                target_ids=list(attachment.target_ids),
            )
            policy.node.add_dependency(type_calls[rendered.policy_type])
            self.policies[name] = policy
