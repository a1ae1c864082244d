"""Deterministic names for resources referenced across accounts.

CloudFormation cannot pass references between accounts, so the management
account's trail and the workload accounts' log delivery find the security
account's archive by name. Every name is derived from config here, in one place.
"""

from __future__ import annotations

from typing import Literal

from innovate_infra.accounts.config import AccountsConfig

LogPurpose = Literal["cloudtrail", "flowlogs", "alb", "waf-api", "config", "access-logs"]
LOG_PURPOSES: tuple[LogPurpose, ...] = (
    "cloudtrail",
    "flowlogs",
    "alb",
    "waf-api",
    "config",
    "access-logs",
)

LOG_ARCHIVE_KEY_ALIAS = "alias/innovate-log-archive"
ORGANIZATION_TRAIL_NAME = "innovate-organization-trail"


def log_bucket_name(config: AccountsConfig, purpose: LogPurpose) -> str:
    """Archive bucket name. The WAF/API bucket starts with ``aws-waf-logs-`` so that WAF can
    also deliver to it directly (a WAF requirement), besides the seed's Kinesis path."""
    suffix = f"{config.security_account_id}-{config.organization.home_region}"
    if purpose == "waf-api":
        return f"aws-waf-logs-{config.log_archive.bucket_prefix}-{suffix}"
    return f"{config.log_archive.bucket_prefix}-{purpose}-{suffix}"


def log_archive_key_alias_arn(config: AccountsConfig) -> str:
    return (
        f"arn:aws:kms:{config.organization.home_region}:{config.security_account_id}:"
        f"{LOG_ARCHIVE_KEY_ALIAS}"
    )


def organization_trail_arn(config: AccountsConfig) -> str:
    return (
        f"arn:aws:cloudtrail:{config.organization.home_region}:"
        f"{config.organization.management_account_id}:trail/{ORGANIZATION_TRAIL_NAME}"
    )
