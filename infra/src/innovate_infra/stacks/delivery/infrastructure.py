"""Stateless stack (Development account): the CDK Pipelines pipeline that delivers this
infrastructure from the same GitHub branch.

Synth runs ``make infra-synth infra-check``: the cloud assembly exists only if cdk-nag
(three packs) passed inside the synth, then cfn-lint and checkov must pass too. The
pipeline then updates itself and deploys the stages that ``build_platform`` built (the
same Stage objects: no stack is built twice and no stack's path changes): the accounts
stage after its own approval, dev, staging, prod after an approval, then the delivery
stage (its deploy policies name the environments' published parameters, so it follows
them).

The roles that assume the CDK roles of other accounts carry the delivery-pipeline role
name (the pipeline role and the asset-publishing role): the deployment-roles SCP lets
only those (and break-glass) into production and the security/logs account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy, Stage, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.kms.encryption_key import (
    EncryptionKey,
    EncryptionKeyProps,
    ServicePrincipalUsage,
)
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings
from innovate_infra.stacks.delivery.artifacts import INFRASTRUCTURE_LOG_PREFIX

SYNTH_COMMANDS = ("make infra-synth infra-check",)
ASSEMBLY_DIR = "infra/cdk.out"


@dataclass(frozen=True)
class PipelineStage:
    stage: Stage
    approval: str | None
    """The approval's comment when a person approves before the stage deploys."""


@dataclass(frozen=True)
class InfrastructurePipelineStackProps:
    naming: Naming
    owner: str
    repository: str
    branch: str
    connection_arn: str
    cdk_cli_version: str
    log_retention_days: int
    stages: Sequence[PipelineStage]
    replica_regions: Sequence[str]
    """Other regions the stages deploy to: their artifact buckets are the replica stacks'."""


class InfrastructurePipelineStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "development"
    PURPOSE = "infrastructure-pipeline"
    DESCRIPTION = "CDK Pipelines pipeline of the platform's infrastructure"
    CLASSIFICATION = "internal"
    PIPELINE_ID = "Pipeline"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: InfrastructurePipelineStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        naming = props.naming
        region, account = self.region, self.account
        key = EncryptionKey(
            self,
            "ArtifactKey",
            props=EncryptionKeyProps(
                purpose="infrastructure-pipeline",
                alias=f"{naming.delivery_key_alias}-infrastructure",
                description="infrastructure pipeline: artifacts and build logs",
                removal_policy=RemovalPolicy.RETAIN,
                administrator_arns=(
                    naming.cdk_exec_role_arn(account, region),
                    *naming.break_glass_principal_arns(),
                ),
                via_services=(f"s3.{region}.amazonaws.com",),
                service_principals=(
                    ServicePrincipalUsage(
                        service=f"logs.{region}.amazonaws.com",
                        encryption_context_key="aws:logs:arn",
                        encryption_context_arn_pattern=f"arn:aws:logs:{region}:{account}:log-group:*",
                    ),
                ),
            ),
        ).key
        bucket = s3.Bucket(
            self,
            "Artifacts",
            bucket_name=naming.infrastructure_artifact_bucket_name(region),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(90),
                    noncurrent_version_expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        # Server access logs to the delivery artifacts stack's log bucket (another stage: by
        # name; that bucket's policy admits this bucket as the source).
        cfn_bucket = bucket.node.default_child
        if not isinstance(cfn_bucket, s3.CfnBucket):
            raise TypeError("Bucket has no CfnBucket default child")
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=naming.artifact_access_log_bucket_name,
            log_file_prefix=INFRASTRUCTURE_LOG_PREFIX,
        )
        log_group = EncryptedLogGroup(
            self,
            "BuildLogs",
            props=EncryptedLogGroupProps(
                log_group_name=naming.delivery_log_group_name("infrastructure-pipeline"),
                encryption_key=key,
                retention_days=props.log_retention_days,
                removal_policy=RemovalPolicy.RETAIN,
            ),
        ).log_group
        role = iam.Role(
            self,
            "PipelineRole",
            role_name=naming.delivery_role_name("infrastructure"),
            description=f"CodePipeline {naming.infrastructure_pipeline_name}",
            assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
        )
        code_pipeline = codepipeline.Pipeline(
            self,
            "CodePipeline",
            pipeline_name=naming.infrastructure_pipeline_name,
            pipeline_type=codepipeline.PipelineType.V2,
            role=role,
            # The home region's bucket is the pipeline's own artifact store.
            cross_region_replication_buckets={
                region: bucket,
                **{
                    other: s3.Bucket.from_bucket_attributes(
                        self,
                        f"Artifacts{other.replace('-', '').capitalize()}",
                        bucket_name=naming.infrastructure_artifact_bucket_name(other),
                        encryption_key=kms.Key.from_key_arn(
                            self,
                            f"ArtifactKey{other.replace('-', '').capitalize()}",
                            f"arn:aws:kms:{other}:{account}:{naming.infrastructure_replica_key_alias}",
                        ),
                    )
                    for other in props.replica_regions
                },
            },
            restart_execution_on_update=True,
        )
        source = pipelines.CodePipelineSource.connection(
            f"{props.owner}/{props.repository}",
            props.branch,
            connection_arn=props.connection_arn,
            trigger_on_push=True,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            self.PIPELINE_ID,
            code_pipeline=code_pipeline,
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                commands=list(SYNTH_COMMANDS),
                primary_output_directory=ASSEMBLY_DIR,
            ),
            cli_version=props.cdk_cli_version,
            self_mutation=True,
            publish_assets_in_parallel=False,
            use_pipeline_role_for_actions=True,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=codebuild.ComputeType.LARGE,
                ),
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=log_group)
                ),
                timeout=Duration.hours(1),
            ),
        )
        for item in props.stages:
            pre: list[pipelines.Step] = []
            if item.approval is not None:
                pre.append(
                    pipelines.ManualApprovalStep(
                        f"Approve{item.stage.stage_name.capitalize()}", comment=item.approval
                    )
                )
            self.pipeline.add_stage(item.stage, pre=pre)
        self.pipeline.build_pipeline()
        self._name_cross_account_roles(naming)

    def _name_cross_account_roles(self, naming: Naming) -> None:
        """The asset-publishing role assumes the file-publishing roles of production and
        the security/logs account: give it a delivery-pipeline name (CDK leaves its name
        to CloudFormation, and nothing refers to it by name)."""
        for node in self.pipeline.node.find_all():
            if isinstance(node, iam.CfnRole) and node.node.path.endswith(
                "/Assets/FileRole/Resource"
            ):
                node.role_name = naming.delivery_role_name("infrastructure-assets")
