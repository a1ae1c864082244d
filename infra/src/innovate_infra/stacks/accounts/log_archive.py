"""Security/logs account: the organization log archive (stateful)."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.types import ACCOUNT_KEYS, WORKLOAD_ACCOUNT_KEYS, AccountKey
from innovate_infra.constructs.logging.log_archive import (
    LOG_PURPOSES,
    ArchiveRetention,
    LogArchiveBuckets,
    LogArchiveBucketsProps,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


class LogArchiveStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "security"
    PURPOSE = "log-archive"
    DESCRIPTION = "Organization log archive: KMS key and Object-Locked log buckets"
    CLASSIFICATION = "restricted"
    ARCHIVE_ID: ClassVar[str] = "LogArchive"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        platform: PlatformConfig,
        naming: Naming,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        # Grant S3 server-access-log delivery by bucket policy, not the legacy
        # LogDeliveryWrite ACL (ACLs stay disabled: BucketOwnerEnforced).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        archive = platform.accounts.log_archive
        security = platform.account_id("security")
        self.archive = LogArchiveBuckets(
            self,
            self.ARCHIVE_ID,
            props=LogArchiveBucketsProps(
                organization_id=platform.accounts.organization.organization_id,
                management_account_id=platform.account_id("management"),
                workload_account_ids=[platform.account_id(k) for k in WORKLOAD_ACCOUNT_KEYS],
                region=platform.home_region,
                key_alias=naming.log_archive_key_alias,
                bucket_names={p: naming.log_bucket_name(p) for p in LOG_PURPOSES},
                organization_trail_arn=naming.organization_trail_arn,
                break_glass_principal_arns=naming.break_glass_principal_arns(),
                account_id=security,
                key_admin_principal_arns=naming.key_admin_principal_arns(
                    security, platform.home_region
                ),
                config_source_account_ids=[platform.account_id(k) for k in ACCOUNT_KEYS],
                config_recorder_role_name=naming.security_role_name("config-recorder"),
                reader_principal_arns=[
                    *naming.sso_role_arns("SecurityAuditor", security),
                    *naming.break_glass_principal_arns(),
                ],
                retention=ArchiveRetention(
                    object_lock_mode=archive.object_lock_mode,
                    cloudtrail_object_lock_mode=archive.cloudtrail_object_lock_mode,
                    object_lock_days=archive.object_lock_days,
                    infrequent_access_after_days=archive.infrequent_access_after_days,
                    glacier_after_days=archive.glacier_after_days,
                    deep_archive_after_days=archive.deep_archive_after_days,
                    expire_after_days=archive.expire_after_days,
                ),
            ),
        )
