"""What deploying the API to one environment takes in AWS, and the Production account's
deployer role that the prod deploy project assumes across accounts.

The Kubernetes side (helm, the Rollout) is authorized by the cluster: its EKS access
entry for the deployer role (``Naming.deployer_role_name``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct


@dataclass(frozen=True)
class DeployTarget:
    environment: str
    account: str
    region: str
    parameter_arn_pattern: str
    """The SSM parameters the environment publishes for the deploy (``/<p>/<env>/deploy/*``)."""
    edge_parameter_arn_pattern: str
    """The same path in us-east-1, where the web stack publishes the CloudFront side's."""
    spa_bucket_arn_pattern: str
    """The environment's SPA bucket (the edge stack names it ``<project>-<env>-spa-*``)."""
    data_key_alias: str
    """The environment's ``data`` key, which encrypts the SPA bucket."""


def deployer_statements(target: DeployTarget) -> list[iam.PolicyStatement]:
    """Read the environment's deploy parameters, find its cluster, upload the SPA and
    invalidate its CloudFront distribution; nothing in any other environment.

    The deploy step finds the bucket and distribution through the parameters; the grants
    name the bucket by its name pattern and the distribution by its Environment tag (its
    id is chosen by CloudFront).
    """
    return [
        iam.PolicyStatement(
            sid="ReadDeployParameters",
            actions=["ssm:GetParameter", "ssm:GetParameters"],
            resources=[target.parameter_arn_pattern, target.edge_parameter_arn_pattern],
        ),
        iam.PolicyStatement(
            sid="FindTheEnvironmentsCluster",
            actions=["eks:DescribeCluster"],
            resources=[f"arn:aws:eks:{target.region}:{target.account}:cluster/*"],
            conditions={"StringEquals": {"aws:ResourceTag/Environment": target.environment}},
        ),
        iam.PolicyStatement(
            sid="ListTheSpaBucket",
            actions=["s3:ListBucket"],
            resources=[target.spa_bucket_arn_pattern],
        ),
        iam.PolicyStatement(
            sid="UploadTheSpa",
            actions=["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            resources=[f"{target.spa_bucket_arn_pattern}/*"],
        ),
        iam.PolicyStatement(
            sid="EncryptTheSpaThroughS3",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[f"arn:aws:kms:{target.region}:{target.account}:key/*"],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{target.region}.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": target.data_key_alias},
            },
        ),
        iam.PolicyStatement(
            sid="InvalidateTheSpaDistribution",
            actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
            resources=[f"arn:aws:cloudfront::{target.account}:distribution/*"],
            conditions={"StringEquals": {"aws:ResourceTag/Environment": target.environment}},
        ),
    ]


@dataclass(frozen=True)
class CrossAccountDeployerProps:
    role_name: str
    target: DeployTarget
    # The Development account's deploy project roles that may assume this role.
    trusted_role_arns: Sequence[str]
    trusted_account: str
    organization_id: str


class CrossAccountDeployer(Construct):
    """A role in the target account, assumable only by the named project roles of the
    pipeline's account, from inside the organization, for one hour at most."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: CrossAccountDeployerProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=props.role_name,
            description=f"Deploys the API to {props.target.environment} for the delivery pipeline",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.AccountPrincipal(props.trusted_account).with_conditions(
                {
                    "ArnEquals": {"aws:PrincipalArn": list(props.trusted_role_arns)},
                    "StringEquals": {"aws:PrincipalOrgID": props.organization_id},
                }
            ),
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Deploy the API to {props.target.environment}",
            statements=deployer_statements(props.target),
            roles=[self.role],
        )
