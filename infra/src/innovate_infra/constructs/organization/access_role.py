"""``OrganizationAccountAccessRole`` for accounts that joined by invitation.

AWS creates the role only in accounts it creates: "member accounts that you invite to
join your organization do not automatically get an administrator role created"
(Organizations User Guide, "Accessing member accounts", creating the role in an invited
account). Inside the organization the SCPs deny the root user and protect that role's
policies, so it cannot be added by hand afterwards either. A service-managed StackSet
needs no role in the target account (StackSets' own service-linked roles run it, as
``stacksets-exec-*``, which the SCPs exempt), so it creates the role in exactly the
imported accounts, with the trust and policy AWS gives created accounts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudformation as cfn
from aws_cdk import aws_iam as iam
from constructs import Construct

from innovate_infra.constructs.organization.api_call import OrganizationApiCall


@dataclass(frozen=True)
class ImportedAccount:
    account_id: str
    ou_id: str


@dataclass(frozen=True)
class OrganizationAccessRolesProps:
    management_account_id: str
    region: str
    role_name: str
    stack_set_name: str
    imported: Mapping[str, ImportedAccount]
    """Account key -> account, for every ``lifecycle: import`` account."""


def access_role_template(role_name: str, management_account_id: str) -> dict[str, object]:
    """The role AWS creates in a new member account: administrator, assumable by the
    management account (whose IAM policies decide who there may use it)."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "OrganizationAccountAccessRole for an account that joined by invitation",
        "Resources": {
            "OrganizationAccountAccessRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role_name,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{management_account_id}:root"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "ManagedPolicyArns": [
                        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}
                    ],
                },
            }
        },
    }


class OrganizationAccessRoles(Construct):
    """The StackSet (and the StackSets trusted access it needs, idempotent) that gives
    imported accounts the role created accounts already have."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: OrganizationAccessRolesProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.stacksets_access = stacksets_trusted_access(self)
        accounts: Sequence[ImportedAccount] = list(props.imported.values())
        self.stack_set = cfn.CfnStackSet(
            self,
            "StackSet",
            stack_set_name=props.stack_set_name,
            description="OrganizationAccountAccessRole in accounts imported into the organization",
            permission_model="SERVICE_MANAGED",
            # Only the listed accounts: created accounts already have the role, and a
            # second one of the same name would fail the instance.
            auto_deployment=cfn.CfnStackSet.AutoDeploymentProperty(enabled=False),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cfn.CfnStackSet.OperationPreferencesProperty(
                failure_tolerance_count=0, max_concurrent_count=1
            ),
            stack_instances_group=[
                cfn.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cfn.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=sorted({a.ou_id for a in accounts}),
                        accounts=[a.account_id for a in accounts],
                        account_filter_type="INTERSECTION",
                    ),
                    # IAM is global: one region creates the role.
                    regions=[props.region],
                )
            ],
            template_body=json.dumps(
                access_role_template(props.role_name, props.management_account_id),
                separators=(",", ":"),
            ),
        )
        self.stack_set.node.add_dependency(self.stacksets_access)


def stacksets_trusted_access(scope: Construct) -> OrganizationApiCall:
    """CloudFormation StackSets' trusted access to the organization (idempotent)."""
    return OrganizationApiCall(
        scope,
        "Trust-stacksets",
        service="CloudFormation",
        action="ActivateOrganizationsAccess",
        parameters={},
        physical_id="cloudformation-organizations-access",
        statements=[
            iam.PolicyStatement(
                actions=[
                    "cloudformation:ActivateOrganizationsAccess",
                    "organizations:EnableAWSServiceAccess",
                    "organizations:RegisterDelegatedAdministrator",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                actions=["iam:CreateServiceLinkedRole"],
                resources=["*"],
                conditions={
                    "StringLike": {"iam:AWSServiceName": "*stacksets.cloudformation.amazonaws.com"}
                },
            ),
            iam.PolicyStatement(
                actions=[
                    "organizations:DescribeOrganization",
                    "organizations:ListAWSServiceAccessForOrganization",
                    "organizations:ListDelegatedAdministrators",
                ],
                resources=["*"],
            ),
        ],
    )
