"""Stateful stack (Development account): the delivery key, the API image repository and
the registry's scanning configuration, the pipeline artifact bucket with its access-log
bucket, and the log groups of the builds and of the image scans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.delivery.image_repository import (
    ImageRepository,
    ImageRepositoryProps,
)
from innovate_infra.constructs.kms.encryption_key import (
    EncryptionKey,
    EncryptionKeyProps,
    ServicePrincipalUsage,
    ServicePublisher,
)
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings
from innovate_infra.stacks.delivery.pipeline import BUILD_LOGS

# Pipeline artifacts are only needed while an execution runs (and for a re-run of its
# stages); releases are rolled back from images, not from artifacts.
ARTIFACT_EXPIRY_DAYS = 90
ACCESS_LOG_EXPIRY_DAYS = 365
# Where the infrastructure pipeline's artifact bucket writes its server access logs.
INFRASTRUCTURE_LOG_PREFIX = "infrastructure-artifacts/"


@dataclass(frozen=True)
class DeliveryArtifactsStackProps:
    naming: Naming
    repository: str
    keep_tagged_images: int
    untagged_expiry_days: int
    enhanced_scanning: bool
    log_retention_days: int
    # (account id, node role ARN patterns) of the accounts whose nodes pull the image.
    image_pullers: Sequence[tuple[str, Sequence[str]]]
    # (account id, role ARNs) of the other accounts' deploy projects and action roles,
    # which read the application pipeline's artifacts (prod's, in Production).
    artifact_readers: Sequence[tuple[str, Sequence[str]]] = ()


class DeliveryArtifactsStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "development"
    PURPOSE = "delivery-artifacts"
    DESCRIPTION = "delivery key, image repository, artifact buckets, build and scan logs (stateful)"
    CLASSIFICATION = "internal"
    BUILD_LOGS = BUILD_LOGS

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: DeliveryArtifactsStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        naming = props.naming
        region, account = self.region, self.account
        retain = RemovalPolicy.RETAIN
        self.key = EncryptionKey(
            self,
            "DeliveryKey",
            props=EncryptionKeyProps(
                purpose="delivery",
                alias=naming.delivery_key_alias,
                description="delivery: artifacts, image repository, build logs, notifications",
                removal_policy=retain,
                administrator_arns=(
                    naming.cdk_exec_role_arn(account, region),
                    *naming.break_glass_principal_arns(),
                ),
                # S3 (artifacts), ECR (image layers; it keeps grants), SNS (the topic).
                via_services=tuple(
                    f"{service}.{region}.amazonaws.com" for service in ("s3", "ecr", "sns")
                ),
                allow_grants_via_services=True,
                service_principals=(
                    ServicePrincipalUsage(
                        service=f"logs.{region}.amazonaws.com",
                        encryption_context_key="aws:logs:arn",
                        encryption_context_arn_pattern=f"arn:aws:logs:{region}:{account}:log-group:*",
                    ),
                ),
                service_publishers=(
                    ServicePublisher(
                        service="cloudwatch.amazonaws.com",
                        source_arn_pattern=naming.delivery_alarm_arn_pattern(account, region),
                    ),
                    ServicePublisher(
                        service="codestar-notifications.amazonaws.com",
                        source_arn_pattern=(
                            f"arn:aws:codestar-notifications:{region}:{account}:notificationrule/*"
                        ),
                    ),
                ),
            ),
        ).key

        self.image = ImageRepository(
            self,
            "ApiImage",
            props=ImageRepositoryProps(
                repository_name=naming.image_repository_name(props.repository),
                encryption_key=self.key,
                keep_tagged_images=props.keep_tagged_images,
                untagged_expiry_days=props.untagged_expiry_days,
                pullers=props.image_pullers,
                pusher_arns=(
                    naming.delivery_role_arn("image"),
                    *naming.break_glass_principal_arns(),
                ),
                removal_policy=retain,
            ),
        ).repository
        # Registry-wide: basic scanning on push, or Amazon Inspector's continuous enhanced
        # scanning (which also scans on push) for the platform's repositories.
        ecr.CfnRegistryScanningConfiguration(
            self,
            "RegistryScanning",
            scan_type="ENHANCED" if props.enhanced_scanning else "BASIC",
            rules=[
                ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty(
                    scan_frequency="CONTINUOUS_SCAN" if props.enhanced_scanning else "SCAN_ON_PUSH",
                    repository_filters=[
                        ecr.CfnRegistryScanningConfiguration.RepositoryFilterProperty(
                            filter=f"{naming.project}-*", filter_type="WILDCARD"
                        )
                    ],
                )
            ],
        )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=naming.artifact_access_log_bucket_name,
            # S3 server access logging delivers only to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=retain,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(ACCESS_LOG_EXPIRY_DAYS),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
        )
        # The infrastructure pipeline's bucket (another stage: by name) logs here too.
        self.access_logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="S3ServerAccessLogsOfTheInfrastructurePipeline",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_logs.arn_for_objects(f"{INFRASTRUCTURE_LOG_PREFIX}*")],
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": "arn:aws:s3:::"
                        + naming.infrastructure_artifact_bucket_name(region)
                    },
                },
            )
        )
        self.artifacts = s3.Bucket(
            self,
            "Artifacts",
            bucket_name=naming.artifact_bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifacts/",
            removal_policy=retain,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(ARTIFACT_EXPIRY_DAYS),
                    noncurrent_version_expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        objects = self.artifacts.arn_for_objects(f"{naming.application_pipeline_name}/*")
        for index, (reader_account, role_arns) in enumerate(props.artifact_readers, start=1):
            only_these_roles = {"ArnEquals": {"aws:PrincipalArn": list(role_arns)}}
            self.artifacts.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"DeploysInAccount{index}ReadPipelineArtifacts",
                    principals=[iam.AccountPrincipal(reader_account)],
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[objects],
                    conditions=only_these_roles,
                )
            )
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"DeploysInAccount{index}DecryptPipelineArtifacts",
                    principals=[iam.AccountPrincipal(reader_account)],
                    actions=["kms:Decrypt"],
                    resources=["*"],
                    conditions={
                        **only_these_roles,
                        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    },
                )
            )
        self.build_logs = self._log_group(
            "BuildLogs", naming.delivery_log_group_name(self.BUILD_LOGS), props
        )
        self.scan_logs = self._log_group("ImageScanLogs", naming.image_scan_log_group_name, props)
        self.rebuild_logs = self._log_group("RebuildLogs", naming.rebuild_log_group_name, props)

    def _log_group(
        self, construct_id: str, name: str, props: DeliveryArtifactsStackProps
    ) -> logs.LogGroup:
        return EncryptedLogGroup(
            self,
            construct_id,
            props=EncryptedLogGroupProps(
                log_group_name=name,
                encryption_key=self.key,
                retention_days=props.log_retention_days,
                removal_policy=RemovalPolicy.RETAIN,
            ),
        ).log_group
