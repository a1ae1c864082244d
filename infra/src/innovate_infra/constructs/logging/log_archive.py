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

from innovate_infra.constructs.kms.key_policy import explicit_key_policy

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


ObjectLockMode = Literal["GOVERNANCE", "COMPLIANCE"]


@dataclass(frozen=True)
class ArchiveRetention:
    object_lock_mode: ObjectLockMode
    cloudtrail_object_lock_mode: ObjectLockMode
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
    account_id: str
    """The security/logs account, owner of the archive."""
    key_admin_principal_arns: Sequence[str]
    config_source_account_ids: Sequence[str]
    """Every account whose AWS Config recorder delivers to the archive."""
    config_recorder_role_name: str
    reader_principal_arns: Sequence[str]
    """Who may decrypt archived logs through S3 (security auditors, break-glass)."""


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
            policy=explicit_key_policy(props.account_id, props.key_admin_principal_arns),
        )
        self._cloudtrail_key_policy(trail_arn)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LogDeliveryEncryptsWorkloadLogs",
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": list(props.workload_account_ids)}
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                # Config delivers as its service principal when the bucket policy does not
                # admit the recorder's role (Config Developer Guide, "Permissions for the KMS
                # key"); org-id conditions do not work for it, so the accounts are listed.
                sid="ConfigServiceEncryptsConfigurationItems",
                principals=[iam.ServicePrincipal("config.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": list(props.config_source_account_ids)}
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                # The recorders' own roles (same account: Config always uses the role).
                sid="ConfigRecorderRolesThroughS3",
                principals=[iam.AnyPrincipal()],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "aws:PrincipalOrgID": org_id,
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                    },
                    "ArnLike": {"aws:PrincipalArn": self._config_role_arns()},
                },
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
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ReadersDecryptThroughS3",
                principals=[iam.AccountPrincipal(props.account_id)],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    "ArnLike": {"aws:PrincipalArn": list(props.reader_principal_arns)},
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

    def object_lock_mode(self, purpose: LogPurpose) -> ObjectLockMode | None:
        """The Object Lock default-retention mode of an archive bucket; None for the Config
        bucket: AWS Config "does not support the delivery channel to an Amazon S3 bucket
        where object lock is enabled" (AWS::Config::DeliveryChannel reference)."""
        la = self._props.retention
        if purpose == "config":
            return None
        if purpose == "cloudtrail":
            return la.cloudtrail_object_lock_mode
        return la.object_lock_mode

    def _archive_bucket(self, purpose: LogPurpose, *, kms_encrypted: bool) -> s3.Bucket:
        la = self._props.retention
        mode = self.object_lock_mode(purpose)
        days = Duration.days(la.object_lock_days)
        retention = (
            None
            if mode is None
            else s3.ObjectLockRetention.compliance(days)
            if mode == "COMPLIANCE"
            else s3.ObjectLockRetention.governance(days)
        )
        bucket = s3.Bucket(
            self,
            bucket_id(purpose),
            bucket_name=self._props.bucket_names[purpose],
            encryption=s3.BucketEncryption.KMS if kms_encrypted else s3.BucketEncryption.S3_MANAGED,
            encryption_key=self.key if kms_encrypted else None,
            bucket_key_enabled=kms_encrypted,
            versioned=True,
            object_lock_enabled=True if retention is not None else None,
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

    def _config_role_arns(self) -> list[str]:
        return [f"arn:aws:iam::*:role/{self._props.config_recorder_role_name}"]

    def _config_policy(self, bucket: s3.Bucket) -> None:
        """AWS Config Developer Guide, "Permissions for the Amazon S3 bucket": the recorder's
        role writes (always in the same account, first attempt across accounts); otherwise
        Config writes as its service principal, which org-id conditions do not cover, so
        the accounts are listed (``aws:SourceAccount``) and each writes under its own
        ``AWSLogs/<account>/Config/`` prefix only."""
        props = self._props
        config = iam.ServicePrincipal("config.amazonaws.com")
        sources = {"aws:SourceAccount": list(props.config_source_account_ids)}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigAclCheck",
                principals=[config],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": sources},
            )
        )
        for account in props.config_source_account_ids:
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"ConfigWrite{account}",
                    principals=[config],
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects(f"AWSLogs/{account}/Config/*")],
                    conditions={
                        "StringEquals": {
                            "aws:SourceAccount": account,
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        }
                    },
                )
            )
        roles = {
            "StringEquals": {"aws:PrincipalOrgID": props.organization_id},
            "ArnLike": {"aws:PrincipalArn": self._config_role_arns()},
        }
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigRecorderRolesAclCheck",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions=roles,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigRecorderRolesWriteOwnPrefix",
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject", "s3:PutObjectAcl"],
                resources=[bucket.arn_for_objects("AWSLogs/${aws:PrincipalAccount}/Config/*")],
                conditions=roles,
            )
        )

    def _cloudtrail_key_policy(self, trail_arn: str) -> None:
        """CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": encrypt
        under the trail's encryption context; DescribeKey in its own statement (it carries
        no encryption context); Decrypt, required to create or update a trail whose bucket
        uses an S3 Bucket Key. All three only for the organization trail (aws:SourceArn)."""
        cloudtrail = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        this_trail = {"aws:SourceArn": trail_arn}
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailEncryptsOrganizationTrail",
                principals=[cloudtrail],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": this_trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:aws:cloudtrail:*:{self._props.management_account_id}:trail/*"
                        )
                    },
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailDescribesKey",
                principals=[cloudtrail],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": this_trail},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailDecryptsForBucketKey",
                principals=[cloudtrail],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": this_trail},
            )
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
