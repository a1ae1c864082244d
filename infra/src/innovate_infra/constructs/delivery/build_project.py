"""A CodeBuild project with its own named role and one managed policy written out
statement by statement (no CDK grants: the role holds exactly what the project runs)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
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
class CompanionProject:
    project_name: str
    description: str
    buildspec: str


@dataclass(frozen=True)
class BuildProjectProps:
    project_name: str
    description: str
    role_name: str
    buildspec: str
    """Path of the buildspec in the repository (deploy/buildspecs/<name>.yml)."""
    log_group_name: str
    encryption_key_arn: str
    artifact_bucket_arn: str
    statements: Sequence[iam.PolicyStatement] = field(default_factory=tuple)
    environment_variables: Mapping[str, str] = field(default_factory=dict)
    privileged: bool = False
    """Docker-in-Docker, for the image build only."""
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    timeout_minutes: int = 60
    report_group_arns: Sequence[str] = field(default_factory=tuple)
    github: GitHubSource | None = None
    companions: Sequence[CompanionProject] = field(default_factory=tuple)
    """Further projects that run under the same role (e.g. an environment's rollback)."""


class BuildProject(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: BuildProjectProps) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        names = [props.project_name, *(c.project_name for c in props.companions)]
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
                resources=[props.encryption_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            ),
        ]
        if props.github is None:
            statements.append(
                iam.PolicyStatement(
                    sid="ReadAndWritePipelineArtifacts",
                    actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    resources=[f"{props.artifact_bucket_arn}/*"],
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
        self.companions = [
            self._project(
                f"Companion{index}",
                props,
                companion.project_name,
                companion.description,
                companion.buildspec,
            )
            for index, companion in enumerate(props.companions, start=1)
        ]
        self.project_arn = (
            f"arn:aws:codebuild:{stack.region}:{stack.account}:project/{props.project_name}"
        )
        self.project_arns = [
            f"arn:aws:codebuild:{stack.region}:{stack.account}:project/{name}" for name in names
        ]

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
