"""What deploying the API to one environment takes in AWS, split by who does it:

* the release (``deploy-<env>``: helm and kubectl in the environment's VPC) reads the
  environment's regional deploy parameters and finds its cluster; the Kubernetes side is
  authorized by the cluster (its EKS access entry for ``Naming.deployer_role_name``);
* the publish step (``publish-<env>``: outside any VPC) reads the CloudFront side's
  parameters in us-east-1, uploads the SPA and invalidates the distribution.

And, for an environment in another account (prod), the role the pipeline assumes there
to start that account's projects (CodePipeline's cross-account action role)."""

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
    """The environment's SPA bucket (the edge stack names it ``<project>-<env>-spa-*``;
    SSE-S3, so the upload needs no key)."""


def release_statements(target: DeployTarget) -> list[iam.PolicyStatement]:
    """Read the environment's regional deploy parameters and find its cluster."""
    return [
        iam.PolicyStatement(
            sid="ReadDeployParameters",
            actions=["ssm:GetParameter", "ssm:GetParameters"],
            resources=[target.parameter_arn_pattern],
        ),
        iam.PolicyStatement(
            sid="FindTheEnvironmentsCluster",
            actions=["eks:DescribeCluster"],
            resources=[f"arn:aws:eks:{target.region}:{target.account}:cluster/*"],
            conditions={"StringEquals": {"aws:ResourceTag/Environment": target.environment}},
        ),
    ]


def publish_statements(target: DeployTarget) -> list[iam.PolicyStatement]:
    """Upload the SPA to the environment's bucket and invalidate its distribution; the
    bucket and distribution are found through the us-east-1 parameters. The grants name
    the bucket by its name pattern and the distribution by its Environment tag (its id is
    chosen by CloudFront)."""
    return [
        iam.PolicyStatement(
            sid="ReadEdgeDeployParameters",
            actions=["ssm:GetParameter", "ssm:GetParameters"],
            resources=[target.edge_parameter_arn_pattern],
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
            sid="InvalidateTheSpaDistribution",
            actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
            resources=[f"arn:aws:cloudfront::{target.account}:distribution/*"],
            conditions={"StringEquals": {"aws:ResourceTag/Environment": target.environment}},
        ),
    ]


@dataclass(frozen=True)
class PipelineActionRoleProps:
    role_name: str
    environment: str
    pipeline_role_arn: str
    """The application pipeline's role (Development account): the only principal trusted."""
    pipeline_account: str
    organization_id: str
    project_arns: Sequence[str]
    """This account's deploy projects of the environment, which the actions start."""
    artifact_objects_arn: str
    """``arn:aws:s3:::<artifact bucket>/<pipeline>/*``: the pipeline's artifacts."""
    artifact_key_arn_pattern: str
    """The Development account's keys (``arn:aws:kms:<region>:<account>:key/*``): the
    artifact key's id is chosen by KMS there; its key policy names this role."""
    artifact_region: str


class PipelineActionRole(Construct):
    """The role CodePipeline assumes, from the pipeline's role only, to run an action in
    this account: start and watch the environment's deploy projects and read the inputs
    it hands them. One hour at most, from inside the organization."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: PipelineActionRoleProps
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=props.role_name,
            description=f"The application pipeline's actions in {props.environment}",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.AccountPrincipal(props.pipeline_account).with_conditions(
                {
                    "ArnEquals": {"aws:PrincipalArn": props.pipeline_role_arn},
                    "StringEquals": {"aws:PrincipalOrgID": props.organization_id},
                }
            ),
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Run the {props.environment} deploy projects for the pipeline",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="RunTheDeployProjects",
                    actions=[
                        "codebuild:BatchGetBuilds",
                        "codebuild:StartBuild",
                        "codebuild:StopBuild",
                    ],
                    resources=list(props.project_arns),
                ),
                iam.PolicyStatement(
                    sid="ReadPipelineArtifacts",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[props.artifact_objects_arn],
                ),
                iam.PolicyStatement(
                    sid="DecryptPipelineArtifactsThroughS3",
                    actions=["kms:Decrypt"],
                    resources=[props.artifact_key_arn_pattern],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"s3.{props.artifact_region}.amazonaws.com"
                        }
                    },
                ),
            ],
        )
