"""Stateless stack (Development account): the application's delivery.

* CodeBuild projects, one role each: ``test`` (``make test``, JUnit into a report group),
  ``image`` (build + push, tagged with the git SHA), ``web`` (the SPA bundle),
  ``deploy-tools`` (helm and kubectl, checksum-verified, as an artifact), per environment
  of this account ``deploy-<env>`` (the release: helm and kubectl from inside the
  environment's VPC, the only place its private cluster endpoint answers) and
  ``publish-<env>`` (the SPA, the invalidation and the smoke test), and, once the GitHub
  connection exists, ``commit-status`` (``make test`` on every pull request and push, its
  result reported to the GitHub commit).
* A CodePipeline V2 pipeline from GitHub through a CodeConnections connection:
  Source -> Test -> Build (image, SPA, deploy tools) -> Deploy dev -> Deploy staging ->
  Approve prod -> Deploy prod. Each deploy stage runs Release then Publish and rolls back
  on failure to the stage's last successful execution (its commit, image digest and
  SPA). Prod's projects are in the Production account (delivery-target stack): the
  pipeline runs them through that account's action role.
* Notifications (failed executions, approvals) and vulnerability alarms on one
  KMS-encrypted SNS topic mailed to the configured address.
* The daily rebuild: an EventBridge Scheduler schedule starts a state machine that starts
  the pipeline on the commit production runs, with ``REBUILD=true`` (fresh base image,
  new tag).
* Vulnerability alarms: one EventBridge rule per configured severity matches scans of
  the repository with at least the threshold's findings (ECR basic and Inspector
  enhanced scans); each rule's ``MatchedEvents`` is the CloudWatch metric of that
  severity, and its alarm notifies the topic. No custom code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codeconnections as codeconnections
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codestarnotifications as notifications
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.delivery.build_project import (
    BuildProject,
    BuildProjectProps,
    GitHubSource,
    RunnerNetwork,
)
from innovate_infra.constructs.delivery.cluster_access import grant_cluster_access
from innovate_infra.constructs.delivery.deploy_projects import (
    DeployProjectsProps,
    deploy_projects,
)
from innovate_infra.constructs.delivery.deployer import DeployTarget
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings

BUILDSPECS = "deploy/buildspecs"
# The build log group of the artifacts stack (``DeliveryArtifactsStack.BUILD_LOGS``).
BUILD_LOGS = "codebuild"
# The report group of deploy/buildspecs/test.yml (`reports: test-reports`).
TEST_REPORT_GROUP = "test-reports"
PIPELINE_EVENTS = (
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-manual-approval-needed",
    "codepipeline-pipeline-manual-approval-failed",
)
SCAN_DETAIL_TYPES = ("ECR Image Scan", "Inspector2 Scan")
# The source action (the daily rebuild names it to pin the commit).
SOURCE_ACTION = "GitHub"


@dataclass(frozen=True)
class Release:
    """One environment the pipeline deploys to, in order."""

    target: DeployTarget
    approval: bool
    """A manual approval stage precedes the deploy (prod)."""
    runner_subnet_count: int
    """How many private subnets the environment publishes for the deploy runner."""
    action_role_arn: str | None = None
    """Set for an environment in another account (prod): its deploy projects live there
    (delivery-target stack) and the pipeline runs them as this role."""


@dataclass(frozen=True)
class DeliveryPipelineStackProps:
    naming: Naming
    owner: str
    repository: str
    branch: str
    connection_arn: str | None
    notification_email: str
    key: kms.IKey
    image: ecr.IRepository
    repository_name: str
    scan_alarm_thresholds: Mapping[str, int]
    rebuild_schedule: str
    rebuild_timezone: str
    releases: Sequence[Release]


class DeliveryPipelineStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "development"
    PURPOSE = "delivery-pipeline"
    DESCRIPTION = (
        "application pipeline, build projects, notifications, rebuild schedule, scan alarms"
    )
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: DeliveryPipelineStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self._props = props
        naming = props.naming
        region, account = self.region, self.account
        self.pipeline_name = naming.application_pipeline_name
        self.pipeline_arn = f"arn:aws:codepipeline:{region}:{account}:{self.pipeline_name}"

        self.topic = sns.Topic(
            self,
            "Notifications",
            topic_name=naming.delivery_topic_name,
            display_name=f"{naming.project} delivery",
            master_key=props.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishByThisAccountsPipelineNotifications",
                principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishByDeliveryAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": naming.delivery_alarm_arn_pattern(account, region)
                    },
                },
            )
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(props.notification_email))

        if props.connection_arn is None:
            self.connection_arn = codeconnections.CfnConnection(
                self,
                "GitHubConnection",
                connection_name=f"{naming.project}-github",
                provider_type="GitHub",
            ).attr_connection_arn
        else:
            self.connection_arn = props.connection_arn

        # The buildspec's `reports: test-reports` section writes to <project>-test-reports.
        self.report_groups = {
            purpose: codebuild.CfnReportGroup(
                self,
                f"{purpose.title().replace('-', '')}Reports",
                name=naming.build_project_name(f"{purpose}-{TEST_REPORT_GROUP}"),
                type="TEST",
                export_config=codebuild.CfnReportGroup.ReportExportConfigProperty(
                    export_config_type="NO_EXPORT"
                ),
                delete_reports=True,
            )
            for purpose in ("test", "commit-status")
        }

        def reports(purpose: str) -> str:
            return (
                f"arn:aws:codebuild:{region}:{account}:report-group/"
                f"{naming.build_project_name(f'{purpose}-{TEST_REPORT_GROUP}')}"
            )

        self.test = self._project(
            "Test", "test", "make test: every suite and policy gate", "test.yml",
            report_group_arns=(reports("test"),),
            compute_type="BUILD_GENERAL1_LARGE",
        )  # fmt: skip
        self.image_build = self._project(
            "Image", "image", "the API image: build and push, tagged with the git SHA",
            "image.yml",
            privileged=True,
            environment={"IMAGE_REPOSITORY_URI": props.image.repository_uri},
            statements=(
                iam.PolicyStatement(
                    sid="SignInToTheRegistry",
                    actions=["ecr:GetAuthorizationToken"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PushTheApiImage",
                    actions=[
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:CompleteLayerUpload",
                        "ecr:DescribeImages",
                        "ecr:GetDownloadUrlForLayer",
                        "ecr:InitiateLayerUpload",
                        "ecr:PutImage",
                        "ecr:UploadLayerPart",
                    ],
                    resources=[props.image.repository_arn],
                ),
            ),
        )  # fmt: skip
        self.web = self._project("Web", "web", "the SPA bundle (web/dist)", "web.yml")

        self.deploy_tools = self._project(
            "DeployTools", "deploy-tools",
            "helm and kubectl for the deploy runners (checksums verified), as an artifact",
            "tools.yml",
        )  # fmt: skip

        # The release and publish projects of the environments of this account; prod's
        # are in the Production account (the deploy runner must join the prod VPC).
        self.deployers: dict[str, BuildProject] = {}
        self.publishers: dict[str, BuildProject] = {}
        for release in props.releases:
            if release.action_role_arn is not None:
                continue
            env = release.target.environment
            self.deployers[env], self.publishers[env] = self._deploy_projects(release)
            grant_cluster_access(
                self,
                f"ClusterAccess{env.capitalize()}",
                cluster_name=naming.cluster_name(env),
                role=self.deployers[env].role,
                group=naming.deployer_group,
            )

        self.commit_status: BuildProject | None = None
        if props.connection_arn is not None:
            # CodeBuild creates the GitHub webhook through the connection when this stack
            # deploys, so the connection must already be AVAILABLE (docs/delivery.md).
            self.commit_status = self._project(
                "CommitStatus", "commit-status",
                "make test on pull requests and pushes; reports the status to the GitHub commit",
                "test.yml",
                report_group_arns=(reports("commit-status"),),
                compute_type="BUILD_GENERAL1_LARGE",
                github=GitHubSource(
                    location=f"https://github.com/{props.owner}/{props.repository}.git",
                    connection_arn=props.connection_arn,
                    branch=props.branch,
                ),
            )  # fmt: skip

        self._pipeline()
        self._notifications()
        self._rebuild_schedule()
        self._scan_alarms()

    def _deploy_projects(self, release: Release) -> tuple[BuildProject, BuildProject]:
        props = self._props
        naming = props.naming
        env = release.target.environment

        def parameter(key: str) -> str:
            return naming.deployment_parameter_name(env, key)

        return deploy_projects(
            self,
            f"Deploy{env.capitalize()}",
            f"Publish{env.capitalize()}",
            props=DeployProjectsProps(
                target=release.target,
                release_project_name=naming.build_project_name(f"deploy-{env}"),
                release_role_name=naming.deployer_role_name(env),
                publish_project_name=naming.build_project_name(f"publish-{env}"),
                publish_role_name=naming.publisher_role_name(env),
                log_group_name=naming.deploy_log_group_name(env),
                encryption_key_arn=props.key.key_arn,
                artifact_bucket_arn=f"arn:aws:s3:::{naming.artifact_bucket_name}",
                image_repository_uri=props.image.repository_uri,
                network=RunnerNetwork.from_parameters(
                    self,
                    vpc_id=parameter("runner-vpc-id"),
                    subnet_ids=parameter("runner-subnet-ids"),
                    security_group_id=parameter("runner-security-group-id"),
                    subnet_count=release.runner_subnet_count,
                ),
            ),
        )

    def _project(
        self,
        construct_id: str,
        purpose: str,
        description: str,
        buildspec: str,
        *,
        statements: Sequence[iam.PolicyStatement] = (),
        environment: Mapping[str, str] | None = None,
        privileged: bool = False,
        report_group_arns: Sequence[str] = (),
        compute_type: str = "BUILD_GENERAL1_MEDIUM",
        github: GitHubSource | None = None,
    ) -> BuildProject:
        props = self._props
        return BuildProject(
            self,
            construct_id,
            props=BuildProjectProps(
                project_name=props.naming.build_project_name(purpose),
                description=description,
                role_name=props.naming.delivery_role_name(purpose),
                buildspec=f"{BUILDSPECS}/{buildspec}",
                log_group_name=props.naming.delivery_log_group_name(BUILD_LOGS),
                encryption_key_arn=props.key.key_arn,
                artifact_bucket_arn=f"arn:aws:s3:::{props.naming.artifact_bucket_name}",
                statements=statements,
                environment_variables=environment or {},
                privileged=privileged,
                compute_type=compute_type,
                report_group_arns=report_group_arns,
                github=github,
            ),
        )

    # -- the pipeline ------------------------------------------------------------------

    def _pipeline(self) -> None:
        props = self._props
        naming = props.naming
        region = self.region
        projects = [
            self.test, self.image_build, self.web, self.deploy_tools,
            *self.deployers.values(), *self.publishers.values(),
        ]  # fmt: skip
        action_roles = [r.action_role_arn for r in props.releases if r.action_role_arn]
        bucket_arn = f"arn:aws:s3:::{naming.artifact_bucket_name}"
        self.pipeline_role = iam.Role(
            self,
            "PipelineRole",
            role_name=naming.delivery_role_name("application"),
            description=f"CodePipeline {self.pipeline_name}",
            assumed_by=iam.ServicePrincipal(
                "codepipeline.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {"aws:SourceArn": self.pipeline_arn},
                },
            ),
        )
        policy = iam.ManagedPolicy(
            self,
            "PipelinePolicy",
            description=f"What CodePipeline {self.pipeline_name} needs, and nothing else",
            roles=[self.pipeline_role],
            statements=[
                iam.PolicyStatement(
                    sid="ReadAndWriteArtifacts",
                    actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    resources=[f"{bucket_arn}/{self.pipeline_name}/*"],
                ),
                iam.PolicyStatement(
                    sid="LocateTheArtifactBucket",
                    actions=["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
                    resources=[bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="UseTheDeliveryKeyThroughS3",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[props.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="RunTheBuildProjects",
                    actions=[
                        "codebuild:BatchGetBuilds",
                        "codebuild:StartBuild",
                        "codebuild:StopBuild",
                    ],
                    resources=[project.project_arn for project in projects],
                ),
                *(
                    [
                        iam.PolicyStatement(
                            sid="RunActionsInOtherAccounts",
                            actions=["sts:AssumeRole"],
                            resources=action_roles,
                        )
                    ]
                    if action_roles
                    else []
                ),
                iam.PolicyStatement(
                    sid="ReadTheSourceThroughTheConnection",
                    actions=["codeconnections:UseConnection", "codestar-connections:UseConnection"],
                    resources=[self.connection_arn],
                ),
                iam.PolicyStatement(
                    sid="AnnounceApprovals",
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                ),
                iam.PolicyStatement(
                    sid="EncryptAnnouncementsThroughSns",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[props.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}},
                ),
            ],
        )

        def build(
            name: str,
            project: BuildProject | str,
            inputs: Sequence[str],
            *,
            outputs: Sequence[str] = (),
            variables: Mapping[str, str] | None = None,
            namespace: str | None = None,
            run_order: int = 1,
            role_arn: str | None = None,
        ) -> codepipeline.CfnPipeline.ActionDeclarationProperty:
            project_name = project if isinstance(project, str) else project.project.name or ""
            configuration: dict[str, str] = {"ProjectName": project_name}
            if len(inputs) > 1:
                configuration["PrimarySource"] = inputs[0]
            if variables:
                configuration["EnvironmentVariables"] = json.dumps(
                    [{"name": k, "value": v, "type": "PLAINTEXT"} for k, v in variables.items()]
                )
            return codepipeline.CfnPipeline.ActionDeclarationProperty(
                name=name,
                action_type_id=codepipeline.CfnPipeline.ActionTypeIdProperty(
                    category="Build", owner="AWS", provider="CodeBuild", version="1"
                ),
                configuration=configuration,
                input_artifacts=[
                    codepipeline.CfnPipeline.InputArtifactProperty(name=i) for i in inputs
                ],
                output_artifacts=[
                    codepipeline.CfnPipeline.OutputArtifactProperty(name=o) for o in outputs
                ],
                namespace=namespace,
                run_order=run_order,
                role_arn=role_arn,
            )

        release_variables = {
            "GIT_SHA": "#{SourceVariables.CommitId}",
            "IMAGE_TAG": "#{Image.IMAGE_TAG}",
            "IMAGE_DIGEST": "#{Image.IMAGE_DIGEST}",
        }
        stages = [
            codepipeline.CfnPipeline.StageDeclarationProperty(
                name="Source",
                actions=[
                    codepipeline.CfnPipeline.ActionDeclarationProperty(
                        name=SOURCE_ACTION,
                        action_type_id=codepipeline.CfnPipeline.ActionTypeIdProperty(
                            category="Source",
                            owner="AWS",
                            provider="CodeStarSourceConnection",
                            version="1",
                        ),
                        configuration={
                            "ConnectionArn": self.connection_arn,
                            "FullRepositoryId": f"{props.owner}/{props.repository}",
                            "BranchName": props.branch,
                            "OutputArtifactFormat": "CODE_ZIP",
                            # The pipeline's git trigger starts executions, not the action.
                            "DetectChanges": "false",
                        },
                        output_artifacts=[
                            codepipeline.CfnPipeline.OutputArtifactProperty(name="Source")
                        ],
                        namespace="SourceVariables",
                    )
                ],
            ),
            codepipeline.CfnPipeline.StageDeclarationProperty(
                name="Test",
                actions=[
                    build(
                        "MakeTest",
                        self.test,
                        ["Source"],
                        variables={"GIT_SHA": "#{SourceVariables.CommitId}"},
                    )
                ],
            ),
            codepipeline.CfnPipeline.StageDeclarationProperty(
                name="Build",
                actions=[
                    build(
                        "Image",
                        self.image_build,
                        ["Source"],
                        variables={
                            "GIT_SHA": "#{SourceVariables.CommitId}",
                            "REBUILD": "#{variables.REBUILD}",
                        },
                        namespace="Image",
                    ),
                    build("WebBundle", self.web, ["Source"], outputs=["Web"]),
                    build("DeployTools", self.deploy_tools, ["Source"], outputs=["Tools"]),
                ],
            ),
        ]
        for release in props.releases:
            env = release.target.environment
            if release.approval:
                stages.append(
                    codepipeline.CfnPipeline.StageDeclarationProperty(
                        name=f"Approve{env.capitalize()}",
                        actions=[
                            codepipeline.CfnPipeline.ActionDeclarationProperty(
                                name=f"Approve{env.capitalize()}",
                                action_type_id=codepipeline.CfnPipeline.ActionTypeIdProperty(
                                    category="Approval",
                                    owner="AWS",
                                    provider="Manual",
                                    version="1",
                                ),
                                configuration={
                                    "NotificationArn": self.topic.topic_arn,
                                    "CustomData": (
                                        f"Release #{{SourceVariables.CommitId}} (image "
                                        f"#{{Image.IMAGE_TAG}}) to {env}: check the previous "
                                        "environment, then approve or reject."
                                    ),
                                },
                            )
                        ],
                    )
                )
            if release.action_role_arn is None:
                deployer: BuildProject | str = self.deployers[env]
                publisher: BuildProject | str = self.publishers[env]
            else:
                deployer = naming.build_project_name(f"deploy-{env}")
                publisher = naming.build_project_name(f"publish-{env}")
            stages.append(
                codepipeline.CfnPipeline.StageDeclarationProperty(
                    name=f"Deploy{env.capitalize()}",
                    actions=[
                        build(
                            "Release",
                            deployer,
                            ["Source", "Tools"],
                            variables=release_variables,
                            role_arn=release.action_role_arn,
                        ),
                        build(
                            "Publish",
                            publisher,
                            ["Source", "Web"],
                            variables={"GIT_SHA": "#{SourceVariables.CommitId}"},
                            run_order=2,
                            role_arn=release.action_role_arn,
                        ),
                    ],
                    # Back to the stage's last successful execution: its commit, image
                    # digest and SPA (none before the first success).
                    on_failure=codepipeline.CfnPipeline.FailureConditionsProperty(
                        result="ROLLBACK"
                    ),
                )
            )

        self.pipeline = codepipeline.CfnPipeline(
            self,
            "Pipeline",
            name=self.pipeline_name,
            pipeline_type="V2",
            # One release at a time, in order: a later commit waits instead of overtaking
            # a deploy in progress.
            execution_mode="QUEUED",
            role_arn=self.pipeline_role.role_arn,
            artifact_store=codepipeline.CfnPipeline.ArtifactStoreProperty(
                type="S3",
                location=naming.artifact_bucket_name,
                encryption_key=codepipeline.CfnPipeline.EncryptionKeyProperty(
                    id=props.key.key_arn, type="KMS"
                ),
            ),
            variables=[
                codepipeline.CfnPipeline.VariableDeclarationProperty(
                    name="REBUILD",
                    default_value="false",
                    description="true: rebuild the image with a fresh base image (daily schedule)",
                )
            ],
            triggers=[
                codepipeline.CfnPipeline.PipelineTriggerDeclarationProperty(
                    provider_type="CodeStarSourceConnection",
                    git_configuration=codepipeline.CfnPipeline.GitConfigurationProperty(
                        source_action_name=SOURCE_ACTION,
                        push=[
                            codepipeline.CfnPipeline.GitPushFilterProperty(
                                branches=codepipeline.CfnPipeline.GitBranchFilterCriteriaProperty(
                                    includes=[props.branch]
                                )
                            )
                        ],
                    ),
                )
            ],
            stages=stages,
        )
        self.pipeline.node.add_dependency(policy)

    # -- notifications, rebuilds, scan alarms ---------------------------------------------

    def _notifications(self) -> None:
        notifications.CfnNotificationRule(
            self,
            "PipelineNotifications",
            name=f"{self.pipeline_name}-failures-and-approvals",
            detail_type="FULL",
            resource=self.pipeline_arn,
            event_type_ids=list(PIPELINE_EVENTS),
            targets=[
                notifications.CfnNotificationRule.TargetProperty(
                    target_type="SNS", target_address=self.topic.topic_arn
                )
            ],
        ).node.add_dependency(self.pipeline)

    def _rebuild_schedule(self) -> None:
        """The daily rebuild: EventBridge Scheduler starts a two-step state machine (AWS SDK
        integrations, no code) that looks up the commit of the newest execution that
        succeeded in the last deploy stage (what production runs, rollbacks included) and
        starts the pipeline on that commit with ``REBUILD=true``. Before any such execution
        (or after a change of the pipeline's structure, which the filter resets) it starts
        from the head of the branch, as a push would."""
        props = self._props
        naming = props.naming
        region, account = self.region, self.account
        # The last deploy stage (prod); a pipeline that deploys nowhere rebuilds the head.
        released_stage = (
            f"Deploy{props.releases[-1].target.environment.capitalize()}"
            if props.releases
            else None
        )
        machine_arn = (
            f"arn:aws:states:{region}:{account}:stateMachine:{naming.rebuild_state_machine_name}"
        )
        machine_role = iam.Role(
            self,
            "RebuildStateMachineRole",
            role_name=naming.delivery_role_name("rebuild"),
            description="Step Functions: starts the daily rebuild on the released commit",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": machine_arn},
                },
            ),
        )
        machine_policy = iam.ManagedPolicy(
            self,
            "RebuildStateMachinePolicy",
            description="Find the released commit and start the pipeline on it, nothing else",
            roles=[machine_role],
            statements=[
                iam.PolicyStatement(
                    sid="FindTheReleasedCommitAndRebuildIt",
                    actions=[
                        "codepipeline:ListPipelineExecutions",
                        "codepipeline:StartPipelineExecution",
                    ],
                    resources=[self.pipeline_arn],
                ),
                # Step Functions' log delivery and X-Ray (Step Functions developer guide,
                # "IAM policies for logging to CloudWatch Logs"): these APIs take no resource.
                iam.PolicyStatement(
                    sid="DeliverExecutionLogs",
                    actions=[
                        "logs:CreateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:DescribeLogGroups",
                        "logs:DescribeResourcePolicies",
                        "logs:GetLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:UpdateLogDelivery",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="TraceExecutions",
                    actions=[
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                        "xray:PutTelemetryRecords",
                        "xray:PutTraceSegments",
                    ],
                    resources=["*"],
                ),
            ],
        )
        rebuild = {"Name": "REBUILD", "Value": "true"}
        definition: dict[str, Any] = {
            "Comment": "Rebuild the released commit with a fresh base image",
            "StartAt": "FindTheReleasedCommit" if released_stage else "RebuildTheBranchHead",
            "States": {
                "FindTheReleasedCommit": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:codepipeline:listPipelineExecutions",
                    "Parameters": {
                        "PipelineName": self.pipeline_name,
                        "MaxResults": 1,
                        "Filter": {"SucceededInStage": {"StageName": released_stage}},
                    },
                    "ResultPath": "$.released",
                    "Next": "Released",
                },
                "Released": {
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Variable": "$.released.PipelineExecutionSummaries[0]",
                            "IsPresent": True,
                            "Next": "RebuildTheReleasedCommit",
                        }
                    ],
                    "Default": "RebuildTheBranchHead",
                },
                "RebuildTheReleasedCommit": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:codepipeline:startPipelineExecution",
                    "Parameters": {
                        "Name": self.pipeline_name,
                        "Variables": [rebuild],
                        "SourceRevisions": [
                            {
                                "ActionName": SOURCE_ACTION,
                                "RevisionType": "COMMIT_ID",
                                "RevisionValue.$": (
                                    "$.released.PipelineExecutionSummaries[0]"
                                    ".SourceRevisions[0].RevisionId"
                                ),
                            }
                        ],
                    },
                    "End": True,
                },
                "RebuildTheBranchHead": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:codepipeline:startPipelineExecution",
                    "Parameters": {"Name": self.pipeline_name, "Variables": [rebuild]},
                    "End": True,
                },
            },
        }
        if released_stage is None:
            for state in ("FindTheReleasedCommit", "Released", "RebuildTheReleasedCommit"):
                del definition["States"][state]
        machine = sfn.CfnStateMachine(
            self,
            "RebuildStateMachine",
            state_machine_name=naming.rebuild_state_machine_name,
            state_machine_type="STANDARD",
            role_arn=machine_role.role_arn,
            definition_string=json.dumps(definition),
            logging_configuration=sfn.CfnStateMachine.LoggingConfigurationProperty(
                level="ALL",
                include_execution_data=True,
                destinations=[
                    sfn.CfnStateMachine.LogDestinationProperty(
                        cloud_watch_logs_log_group=sfn.CfnStateMachine.CloudWatchLogsLogGroupProperty(
                            log_group_arn=(
                                f"arn:aws:logs:{region}:{account}:log-group:"
                                f"{naming.rebuild_log_group_name}:*"
                            )
                        )
                    )
                ],
            ),
            tracing_configuration=sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True),
        )
        machine.node.add_dependency(machine_policy)
        machine.node.add_dependency(self.pipeline)

        schedule_arn = (
            f"arn:aws:scheduler:{region}:{account}:schedule/default/{naming.rebuild_schedule_name}"
        )
        role = iam.Role(
            self,
            "RebuildScheduleRole",
            role_name=naming.delivery_role_name("rebuild-schedule"),
            description="EventBridge Scheduler: starts the daily rebuild",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnEquals": {"aws:SourceArn": schedule_arn},
                },
            ),
        )
        iam.ManagedPolicy(
            self,
            "RebuildSchedulePolicy",
            description="Start the daily rebuild, nothing else",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="StartTheRebuild",
                    actions=["states:StartExecution"],
                    resources=[machine_arn],
                )
            ],
        )
        scheduler.CfnSchedule(
            self,
            "DailyRebuild",
            name=naming.rebuild_schedule_name,
            description="Rebuild the released commit with a fresh base image and release it",
            schedule_expression=props.rebuild_schedule,
            schedule_expression_timezone=props.rebuild_timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=machine.attr_arn,
                role_arn=role.role_arn,
                input="{}",
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=3, maximum_event_age_in_seconds=3600
                ),
            ),
        )

    def _scan_alarms(self) -> None:
        props = self._props
        naming = props.naming
        self.scan_alarms: dict[str, cloudwatch.Alarm] = {}
        log_group_arn = self._log_group_arn_text()
        logs.CfnResourcePolicy(
            self,
            "ScanEventsToLogs",
            policy_name=f"{naming.project}-delivery-image-scan-events",
            policy_document=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ScanEventsFromThisAccountsRules",
                            "Effect": "Allow",
                            "Principal": {
                                "Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
                            },
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{self._log_group_arn_text()}:*",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": self.account},
                                "ArnLike": {
                                    "aws:SourceArn": (
                                        f"arn:aws:events:{self.region}:{self.account}:rule/"
                                        f"{naming.project}-delivery-image-scan-*"
                                    )
                                },
                            },
                        }
                    ],
                }
            ),
        )
        for severity, threshold in props.scan_alarm_thresholds.items():
            rule_name = naming.image_scan_rule_name(severity)
            events.CfnRule(
                self,
                f"ImageScan{severity.capitalize()}",
                name=rule_name,
                description=(
                    f"A scan of {props.repository_name} reports at least {threshold} "
                    f"{severity} finding(s)"
                ),
                event_pattern={
                    "source": ["aws.ecr", "aws.inspector2"],
                    "detail-type": list(SCAN_DETAIL_TYPES),
                    "detail": {
                        "repository-name": [props.repository_name],
                        "finding-severity-counts": {severity: [{"numeric": [">=", threshold]}]},
                    },
                },
                state="ENABLED",
                targets=[events.CfnRule.TargetProperty(id="ScanRecord", arn=log_group_arn)],
            )
            alarm = cloudwatch.Alarm(
                self,
                f"ImageScan{severity.capitalize()}Alarm",
                alarm_name=naming.delivery_alarm_name(f"image-{severity.lower()}-findings"),
                alarm_description=(
                    f"An image scan of {props.repository_name} found at least {threshold} "
                    f"{severity} vulnerabilities: see the scan record in "
                    f"{naming.image_scan_log_group_name} and the ECR console"
                ),
                metric=cloudwatch.Metric(
                    namespace="AWS/Events",
                    metric_name="MatchedEvents",
                    dimensions_map={"RuleName": rule_name},
                    statistic="Sum",
                    period=Duration.minutes(5),
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(actions.SnsAction(self.topic))
            self.scan_alarms[severity] = alarm

    def _log_group_arn_text(self) -> str:
        return (
            f"arn:aws:logs:{self.region}:{self.account}:log-group:"
            f"{self._props.naming.image_scan_log_group_name}"
        )
