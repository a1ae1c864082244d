"""Stateful stack (Development account, each other region the infrastructure pipeline
deploys to): the pipeline's artifact bucket of that region and its key. CodePipeline
hands a cross-region action its artifacts in the action's region.

The pipeline stack refers to them by name (CloudFormation cannot reference across
regions), so the key and bucket policies here name the readers themselves: the pipeline
role writes, the target accounts' CDK deploy roles read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.kms.encryption_key import EncryptionKey, EncryptionKeyProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class InfrastructurePipelineReplicaStackProps:
    naming: Naming
    writer_arns: Sequence[str]
    reader_arns: Sequence[str]
    """The CDK deploy roles of the accounts deployed to in this region."""


class InfrastructurePipelineReplicaStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "development"
    PURPOSE = "infrastructure-pipeline-replica"
    DESCRIPTION = "infrastructure pipeline: artifact bucket and key of a second region (stateful)"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: InfrastructurePipelineReplicaStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        naming = props.naming
        region, account = self.region, self.account
        self.key = EncryptionKey(
            self,
            "ArtifactKey",
            props=EncryptionKeyProps(
                purpose="infrastructure-pipeline",
                alias=naming.infrastructure_replica_key_alias,
                description=f"infrastructure pipeline: artifacts in {region}",
                removal_policy=RemovalPolicy.RETAIN,
                administrator_arns=(
                    naming.cdk_exec_role_arn(account, region),
                    *naming.break_glass_principal_arns(),
                ),
                via_services=(f"s3.{region}.amazonaws.com",),
            ),
        ).key
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PipelineWritesArtifactsThroughS3",
                principals=[iam.ArnPrincipal(arn) for arn in props.writer_arns],
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                resources=["*"],
                conditions=via_s3,
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DeployRolesReadArtifactsThroughS3",
                principals=[iam.ArnPrincipal(arn) for arn in props.reader_arns],
                actions=["kms:Decrypt", "kms:DescribeKey"],
                resources=["*"],
                conditions=via_s3,
            )
        )
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=naming.artifact_access_log_bucket_name_in(region),
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30)
                )
            ],
        )
        self.bucket = s3.Bucket(
            self,
            "Artifacts",
            bucket_name=naming.infrastructure_artifact_bucket_name(region),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="infrastructure-artifacts/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(90),
                    noncurrent_version_expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PipelineWritesArtifacts",
                principals=[iam.ArnPrincipal(arn) for arn in props.writer_arns],
                actions=["s3:GetObject*", "s3:PutObject*", "s3:GetBucket*", "s3:List*"],
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DeployRolesReadArtifacts",
                principals=[iam.ArnPrincipal(arn) for arn in props.reader_arns],
                actions=["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
            )
        )
