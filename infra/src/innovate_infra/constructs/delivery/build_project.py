"""A CodeBuild project with its own named role and one managed policy written out
statement by statement (no CDK grants: the role holds exactly what the project runs),
optionally inside a VPC (the deploy runner, which must reach a private EKS endpoint)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Fn, Stack
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

# CodeBuild's curated Amazon Linux 2023 image (Python 3.12, Node 22, Docker, and
# PostgreSQL 16 server packages for the API's tests); pinned by name.
BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"


@dataclass(frozen=True)
class GitHubSource:
    """The project checks out GitHub itself (through a CodeConnections connection) and
    reports its build status to the commit; otherwise its source is the pipeline."""

    location: str
    connection_arn: str
    branch: str


@dataclass(frozen=True)
class RunnerNetwork:
    """Where a VPC build runs: the VPC, its private subnets (with NAT) and the group."""

    vpc_id: str
    subnet_ids: Sequence[str]
    security_group_id: str

    @classmethod
    def from_parameters(
        cls,
        scope: Construct,
        *,
        vpc_id: str,
        subnet_ids: str,
        security_group_id: str,
        subnet_count: int,
    ) -> RunnerNetwork:
        """The network an environment's stacks publish (SSM parameter names, resolved by
        CloudFormation in this account and region when the stack deploys: the
        environment deploys first). ``subnet_count`` subnets are taken from the list, so
        that each can be named in the ENI permission."""
        subnets = ssm.StringListParameter.value_for_typed_list_parameter(
            scope, subnet_ids, type=ssm.ParameterValueType.AWS_EC2_SUBNET_ID
        )
        return cls(
            vpc_id=ssm.StringParameter.value_for_typed_string_parameter_v2(
                scope, vpc_id, type=ssm.ParameterValueType.AWS_EC2_VPC_ID
            ),
            subnet_ids=[Fn.select(index, subnets) for index in range(subnet_count)],
            security_group_id=ssm.StringParameter.value_for_typed_string_parameter_v2(
                scope, security_group_id, type=ssm.ParameterValueType.AWS_EC2_SECURITYGROUP_ID
            ),
        )


@dataclass(frozen=True)
class BuildProjectProps:
    project_name: str
    description: str
    role_name: str
    buildspec: str
    """Path of the buildspec in the repository (deploy/buildspecs/<name>.yml)."""
    log_group_name: str
    encryption_key_arn: str
    """The project's key (its ARN, or an alias ARN in another account)."""
    artifact_bucket_arn: str
    artifact_key_arn: str | None = None
    """The IAM resource of the artifact key: ``encryption_key_arn`` unless that is an
    alias (across accounts, a ``key/*`` pattern bounded by the key's own policy)."""
    artifact_prefix: str = "*"
    """The object keys the project reads (``<pipeline>/*`` across accounts)."""
    writes_artifacts: bool = True
    statements: Sequence[iam.PolicyStatement] = field(default_factory=tuple)
    environment_variables: Mapping[str, str] = field(default_factory=dict)
    privileged: bool = False
    """Docker-in-Docker, for the image build only."""
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    timeout_minutes: int = 60
    report_group_arns: Sequence[str] = field(default_factory=tuple)
    github: GitHubSource | None = None
    network: RunnerNetwork | None = None


class BuildProject(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: BuildProjectProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        names = [props.project_name]
        self.role = iam.Role(
            self,
            "Role",
            role_name=props.role_name,
            description=f"CodeBuild project {props.project_name}",
            assumed_by=iam.ServicePrincipal(
                "codebuild.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": [
                            f"arn:aws:codebuild:{stack.region}:{stack.account}:project/{name}"
                            for name in names
                        ]
                    },
                },
            ),
        )
        log_group = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{props.log_group_name}"
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnBuildLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group}:log-stream:{name}/*" for name in names],
            ),
            iam.PolicyStatement(
                sid="UseTheDeliveryKeyThroughS3",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[props.artifact_key_arn or props.encryption_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            ),
        ]
        if props.github is None:
            statements.append(
                iam.PolicyStatement(
                    sid="ReadAndWritePipelineArtifacts"
                    if props.writes_artifacts
                    else "ReadPipelineArtifacts",
                    actions=[
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        *(["s3:PutObject"] if props.writes_artifacts else []),
                    ],
                    resources=[f"{props.artifact_bucket_arn}/{props.artifact_prefix}"],
                )
            )
        else:
            statements.append(
                iam.PolicyStatement(
                    sid="CheckOutThroughTheConnection",
                    actions=[
                        "codeconnections:GetConnection",
                        "codeconnections:GetConnectionToken",
                        "codeconnections:UseConnection",
                    ],
                    resources=[props.github.connection_arn],
                )
            )
        if props.network is not None:
            statements.extend(_network_statements(props.network, stack.region, stack.account))
        if props.report_group_arns:
            statements.append(
                iam.PolicyStatement(
                    sid="PublishTestReports",
                    actions=[
                        "codebuild:BatchPutCodeCoverages",
                        "codebuild:BatchPutTestCases",
                        "codebuild:CreateReport",
                        "codebuild:UpdateReport",
                    ],
                    resources=list(props.report_group_arns),
                )
            )
        statements.extend(props.statements)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"What CodeBuild project {props.project_name} needs, and nothing else",
            statements=statements,
            roles=[self.role],
        )
        self.project = self._project(
            "Project", props, props.project_name, props.description, props.buildspec
        )
        self.project_arn = (
            f"arn:aws:codebuild:{stack.region}:{stack.account}:project/{props.project_name}"
        )

    def _project(
        self,
        construct_id: str,
        props: BuildProjectProps,
        name: str,
        description: str,
        buildspec: str,
    ) -> codebuild.CfnProject:
        github = props.github
        source = (
            codebuild.CfnProject.SourceProperty(type="CODEPIPELINE", build_spec=buildspec)
            if github is None
            else codebuild.CfnProject.SourceProperty(
                type="GITHUB",
                location=github.location,
                build_spec=buildspec,
                report_build_status=True,
                git_clone_depth=1,
                auth=codebuild.CfnProject.SourceAuthProperty(
                    type="CODECONNECTIONS", resource=github.connection_arn
                ),
            )
        )
        project = codebuild.CfnProject(
            self,
            construct_id,
            name=name,
            description=description,
            service_role=self.role.role_arn,
            encryption_key=props.encryption_key_arn,
            source=source,
            artifacts=codebuild.CfnProject.ArtifactsProperty(
                type="CODEPIPELINE" if github is None else "NO_ARTIFACTS"
            ),
            environment=codebuild.CfnProject.EnvironmentProperty(
                type="LINUX_CONTAINER",
                compute_type=props.compute_type,
                image=BUILD_IMAGE,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=props.privileged,
                environment_variables=[
                    codebuild.CfnProject.EnvironmentVariableProperty(
                        name=key, value=value, type="PLAINTEXT"
                    )
                    for key, value in sorted(props.environment_variables.items())
                ],
            ),
            logs_config=codebuild.CfnProject.LogsConfigProperty(
                cloud_watch_logs=codebuild.CfnProject.CloudWatchLogsConfigProperty(
                    status="ENABLED",
                    group_name=props.log_group_name,
                    stream_name=name,
                ),
                s3_logs=codebuild.CfnProject.S3LogsConfigProperty(status="DISABLED"),
            ),
            vpc_config=(
                codebuild.CfnProject.VpcConfigProperty(
                    vpc_id=props.network.vpc_id,
                    subnets=list(props.network.subnet_ids),
                    security_group_ids=[props.network.security_group_id],
                )
                if props.network is not None
                else None
            ),
            timeout_in_minutes=props.timeout_minutes,
            queued_timeout_in_minutes=60,
            triggers=(
                codebuild.CfnProject.ProjectTriggersProperty(
                    webhook=True,
                    filter_groups=[
                        [
                            codebuild.CfnProject.WebhookFilterProperty(
                                type="EVENT",
                                pattern="PULL_REQUEST_CREATED,PULL_REQUEST_UPDATED,PULL_REQUEST_REOPENED",
                            ),
                            codebuild.CfnProject.WebhookFilterProperty(
                                type="BASE_REF", pattern=f"^refs/heads/{re.escape(github.branch)}$"
                            ),
                        ],
                        [
                            codebuild.CfnProject.WebhookFilterProperty(
                                type="EVENT", pattern="PUSH"
                            ),
                            codebuild.CfnProject.WebhookFilterProperty(
                                type="HEAD_REF", pattern=f"^refs/heads/{re.escape(github.branch)}$"
                            ),
                        ],
                    ],
                )
                if github is not None
                else None
            ),
        )
        project.node.add_dependency(self.policy)
        return project


def _network_statements(
    network: RunnerNetwork, region: str, account: str
) -> list[iam.PolicyStatement]:
    """What CodeBuild needs to place a build's network interface in the VPC (CodeBuild
    user guide, "Allow CodeBuild access to AWS services required to create a VPC network
    interface"), narrowed to the resource types the EC2 actions authorize (service
    authorization reference): the interface only in the runner's subnets with its group,
    and attached only for CodeBuild. The describes have no resource-level permissions."""
    ec2_arn = f"arn:aws:ec2:{region}:{account}"
    subnets = [f"{ec2_arn}:subnet/{subnet}" for subnet in network.subnet_ids]
    return [
        iam.PolicyStatement(
            sid="DescribeTheRunnerNetwork",
            actions=[
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="CreateTheBuildsNetworkInterface",
            actions=["ec2:CreateNetworkInterface"],
            resources=[
                f"{ec2_arn}:network-interface/*",
                *subnets,
                f"{ec2_arn}:security-group/{network.security_group_id}",
            ],
        ),
        iam.PolicyStatement(
            sid="DeleteTheBuildsNetworkInterface",
            actions=["ec2:DeleteNetworkInterface"],
            resources=[f"{ec2_arn}:network-interface/*"],
        ),
        iam.PolicyStatement(
            sid="AttachItInTheRunnerSubnetsOnly",
            actions=["ec2:CreateNetworkInterfacePermission"],
            resources=[f"{ec2_arn}:network-interface/*"],
            conditions={
                "StringEquals": {
                    "ec2:AuthorizedService": "codebuild.amazonaws.com",
                    "ec2:Subnet": subnets,
                }
            },
        ),
    ]
