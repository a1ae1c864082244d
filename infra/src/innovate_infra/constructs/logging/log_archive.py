"""The organization's log archive in the security/logs account (stateful), and how the
environments address it.

One bucket per log family (CloudTrail, VPC flow logs, load balancer, WAF/API,
AWS Config) plus the server-access-log bucket they all log to. Every archive
bucket is versioned, under Object Lock (mode and retention from config), moves
to colder storage on a lifecycle, takes writes only from this organization's
accounts and services, refuses non-TLS requests, and refuses deletion by
anyone but break-glass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import RegionInfo
from constructs import Construct

LogPurpose = Literal["cloudtrail", "flowlogs", "alb", "waf-api", "config", "access-logs"]
LOG_PURPOSES: tuple[LogPurpose, ...] = (
    "cloudtrail",
    "flowlogs",
    "alb",
    "waf-api",
    "config",
    "access-logs",
)
KMS_ENCRYPTED_PURPOSES: tuple[LogPurpose, ...] = ("cloudtrail", "flowlogs", "waf-api", "config")
# Elastic Load Balancing access logs support only SSE-S3 on the destination bucket.
SSE_S3_PURPOSES: tuple[LogPurpose, ...] = ("alb",)

# Actions nobody but break-glass may perform on archived logs. (Suspending versioning is
# refused by S3 itself on Object Lock buckets; bucket configuration stays with CloudFormation.)
DELETION_ACTIONS = [
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
]


@dataclass(frozen=True)
class ArchiveRetention:
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"]
    object_lock_days: int
    infrequent_access_after_days: int
    glacier_after_days: int
    deep_archive_after_days: int
    expire_after_days: int


@dataclass(frozen=True)
class LogArchiveBucketsProps:
    organization_id: str
    management_account_id: str
    # Development and production: the accounts whose network, WAF and load-balancer
    # logs the archive takes.
    workload_account_ids: Sequence[str]
    region: str
    key_alias: str
    bucket_names: Mapping[LogPurpose, str]
    organization_trail_arn: str
    break_glass_principal_arns: Sequence[str]
    retention: ArchiveRetention


def bucket_id(purpose: LogPurpose) -> str:
    """Construct id of an archive bucket (``waf-api`` -> ``WafApi``)."""
    return purpose.title().replace("-", "")


class LogArchiveBuckets(Construct):
    KEY_ID: ClassVar[str] = "Key"
    ACCESS_LOGS_ID: ClassVar[str] = "AccessLogs"

    def __init__(
        self, scope: Construct, construct_id: str, *, props: LogArchiveBucketsProps
    ) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        org_id = props.organization_id
        region = props.region
        trail_arn = props.organization_trail_arn

        self.key = kms.Key(
            self,
            self.KEY_ID,
            alias=props.key_alias,
            description="Encrypts the organization log archive (CloudTrail, flow logs, WAF/API, "
            "Config)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailEncryptsOrganizationTrail",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:aws:cloudtrail:*:{props.management_account_id}:trail/*"
                        )
                    },
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationLogDeliveryServices",
                principals=[
                    iam.ServicePrincipal("delivery.logs.amazonaws.com"),
                    iam.ServicePrincipal("config.amazonaws.com"),
                ],
                actions=["kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceOrgID": org_id}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationDeliveryRolesThroughS3",
                principals=[iam.AnyPrincipal()],
                actions=["kms:Encrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "aws:PrincipalOrgID": org_id,
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                    }
                },
            )
        )

        self.access_logs = s3.Bucket(
            self,
            self.ACCESS_LOGS_ID,
            bucket_name=props.bucket_names["access-logs"],
            # S3 server access logging delivers only to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=self._lifecycle(),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._deny_deletion(self.access_logs)

        self.buckets: dict[LogPurpose, s3.Bucket] = {}
        for purpose in KMS_ENCRYPTED_PURPOSES:
            self.buckets[purpose] = self._archive_bucket(purpose, kms_encrypted=True)
        for purpose in SSE_S3_PURPOSES:
            self.buckets[purpose] = self._archive_bucket(purpose, kms_encrypted=False)

        self._cloudtrail_policy(self.buckets["cloudtrail"], trail_arn)
        self._log_delivery_policy(self.buckets["flowlogs"])
        self._log_delivery_policy(self.buckets["waf-api"])
        self._organization_writers_policy(self.buckets["waf-api"])
        self._config_policy(self.buckets["config"])
        self._alb_policy(self.buckets["alb"])

    # -- buckets ---------------------------------------------------------------------------

    def _lifecycle(self) -> list[s3.LifecycleRule]:
        la = self._props.retention
        return [
            s3.LifecycleRule(
                id="ColderStorageThenExpire",
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                        transition_after=Duration.days(la.infrequent_access_after_days),
                    ),
                    s3.Transition(
                        storage_class=s3.StorageClass.GLACIER,
                        transition_after=Duration.days(la.glacier_after_days),
                    ),
                    s3.Transition(
                        storage_class=s3.StorageClass.DEEP_ARCHIVE,
                        transition_after=Duration.days(la.deep_archive_after_days),
                    ),
                ],
                expiration=Duration.days(la.expire_after_days),
                noncurrent_version_expiration=Duration.days(la.object_lock_days),
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ]

    def _archive_bucket(self, purpose: LogPurpose, *, kms_encrypted: bool) -> s3.Bucket:
        la = self._props.retention
        retention = (
            s3.ObjectLockRetention.compliance(Duration.days(la.object_lock_days))
            if la.object_lock_mode == "COMPLIANCE"
            else s3.ObjectLockRetention.governance(Duration.days(la.object_lock_days))
        )
        bucket = s3.Bucket(
            self,
            bucket_id(purpose),
            bucket_name=self._props.bucket_names[purpose],
            encryption=s3.BucketEncryption.KMS if kms_encrypted else s3.BucketEncryption.S3_MANAGED,
            encryption_key=self.key if kms_encrypted else None,
            bucket_key_enabled=kms_encrypted,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=retention,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{purpose}/",
            lifecycle_rules=self._lifecycle(),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._deny_deletion(bucket)
        return bucket

    def _deny_deletion(self, bucket: s3.Bucket) -> None:
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyDeletionExceptBreakGlass",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=DELETION_ACTIONS,
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                conditions={
                    "ArnNotLike": {"aws:PrincipalArn": list(self._props.break_glass_principal_arns)}
                },
            )
        )

    # -- delivery policies -----------------------------------------------------------------

    def _cloudtrail_policy(self, bucket: s3.Bucket, trail_arn: str) -> None:
        cloudtrail = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailAclCheck",
                principals=[cloudtrail],
                actions=["s3:GetBucketAcl"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
            )
        )
        props = self._props
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailWritesOrganizationTrail",
                principals=[cloudtrail],
                actions=["s3:PutObject"],
                resources=[
                    bucket.arn_for_objects(f"AWSLogs/{props.management_account_id}/*"),
                    bucket.arn_for_objects(f"AWSLogs/{props.organization_id}/*"),
                ],
                conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
            )
        )

    def _log_delivery_policy(self, bucket: s3.Bucket) -> None:
        """VPC flow logs, Network Firewall and WAF deliver through the CloudWatch Logs
        delivery service, which writes ``<optional prefix>/AWSLogs/<account>/...``. Only
        the workload accounts (development, production) run them, so only they may."""
        self._service_delivery_policy(
            bucket,
            sid_prefix="LogDelivery",
            service="delivery.logs.amazonaws.com",
            write_resources=[
                bucket.arn_for_objects("AWSLogs/*"),
                bucket.arn_for_objects("*/AWSLogs/*"),
            ],
            source_accounts=list(self._props.workload_account_ids),
        )

    def _service_delivery_policy(
        self,
        bucket: s3.Bucket,
        *,
        sid_prefix: str,
        service: str,
        write_resources: list[str],
        source_accounts: list[str] | None = None,
    ) -> None:
        """An AWS service checks the bucket and writes objects on behalf of this
        organization's accounts only (``aws:SourceOrgID``), narrowed to the named
        accounts (``aws:SourceAccount``) when given."""
        principal = iam.ServicePrincipal(service)
        equals: dict[str, str | list[str]] = {"aws:SourceOrgID": self._props.organization_id}
        if source_accounts:
            equals["aws:SourceAccount"] = source_accounts
        org_only = {"StringEquals": equals}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid_prefix}AclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions=org_only,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid_prefix}Write",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=write_resources,
                conditions=org_only,
            )
        )

    def _organization_writers_policy(self, bucket: s3.Bucket) -> None:
        """Kinesis Data Firehose roles in the organization's accounts (the seed's WAF/API
        Gateway path) write under their own account's prefix only."""
        org_only = {"StringEquals": {"aws:PrincipalOrgID": self._props.organization_id}}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationFirehoseList",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
                conditions=org_only,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationFirehoseWriteOwnPrefix",
                principals=[iam.AnyPrincipal()],
                actions=["s3:AbortMultipartUpload", "s3:PutObject"],
                resources=[bucket.arn_for_objects("firehose/${aws:PrincipalAccount}/*")],
                conditions=org_only,
            )
        )

    def _config_policy(self, bucket: s3.Bucket) -> None:
        self._service_delivery_policy(
            bucket,
            sid_prefix="Config",
            service="config.amazonaws.com",
            write_resources=[bucket.arn_for_objects("AWSLogs/*/Config/*")],
        )

    def _alb_policy(self, bucket: s3.Bucket) -> None:
        """Load balancers of the workload accounts write under their account's prefix."""
        region = self._props.region
        principals: list[iam.IPrincipal] = [
            iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")
        ]
        # Regions older than August 2022 deliver as the regional ELB account.
        elb_account = RegionInfo.get(region).elbv2_account
        if elb_account:
            principals.append(iam.AccountPrincipal(elb_account))
        resources = []
        for account in self._props.workload_account_ids:
            resources += [
                bucket.arn_for_objects(f"AWSLogs/{account}/*"),
                bucket.arn_for_objects(f"*/AWSLogs/{account}/*"),
            ]
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LoadBalancerLogDelivery",
                principals=principals,
                actions=["s3:PutObject"],
                resources=resources,
            )
        )


@dataclass(frozen=True)
class LogArchiveDestination:
    """How an environment addresses the archive: the network-log bucket (security/logs
    account, by name: CloudFormation cannot reference across accounts) and its prefixes.
    The bucket policy admitting ``delivery.logs.amazonaws.com`` is ``LogArchiveBuckets``'."""

    bucket_name: str
    flow_logs_prefix: str
    network_firewall_prefix: str
    # Route 53 Resolver query logs (DNS Firewall's verdicts included).
    dns_query_logs_prefix: str = ""

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket_name}"
