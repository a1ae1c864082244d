"""Log archive buckets and key in the security/logs account."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.logging.log_archive import DELETION_ACTIONS
from innovate_infra.naming import Naming

from tests.conftest import Synth

ARCHIVES = ("cloudtrail", "flowlogs", "alb", "waf-api", "config")


@pytest.fixture(scope="module")
def template(synth: Synth) -> Template:
    return synth.template(synth.accounts.log_archive)


def buckets(template: Template) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        b["Properties"]["BucketName"]: (lid, b)
        for lid, b in template.find_resources("AWS::S3::Bucket").items()
    }


def bucket_policy(template: Template, logical_id: str) -> list[dict[str, Any]]:
    for policy in template.find_resources("AWS::S3::BucketPolicy").values():
        if policy["Properties"]["Bucket"] == {"Ref": logical_id}:
            return list(policy["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no bucket policy for {logical_id}")


def sid(statements: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(s for s in statements if s.get("Sid") == name)


def test_one_bucket_per_log_family_plus_access_logs(
    template: Template, platform: PlatformConfig, naming: Naming
) -> None:
    names = set(buckets(template))
    assert names == {naming.log_bucket_name(p) for p in (*ARCHIVES, "access-logs")}
    assert naming.log_bucket_name("waf-api").startswith("aws-waf-logs-")


@pytest.mark.parametrize("purpose", list(ARCHIVES))
def test_archive_bucket_protection(
    template: Template, platform: PlatformConfig, naming: Naming, purpose: str
) -> None:
    _, bucket = buckets(template)[naming.log_bucket_name(purpose)]
    props = bucket["Properties"]
    la = platform.accounts.log_archive
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    mode = la.cloudtrail_object_lock_mode if purpose == "cloudtrail" else la.object_lock_mode
    if purpose == "config":
        # AWS Config does not deliver to an Object-Lock bucket (AWS::Config::DeliveryChannel).
        assert "ObjectLockEnabled" not in props
        assert "ObjectLockConfiguration" not in props
    else:
        assert props["ObjectLockEnabled"] is True
        assert props["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": la.object_lock_days}},
        }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = props["LifecycleConfiguration"]["Rules"][0]
    assert rule["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": la.infrequent_access_after_days},
        {"StorageClass": "GLACIER", "TransitionInDays": la.glacier_after_days},
        {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": la.deep_archive_after_days},
    ]
    assert rule["ExpirationInDays"] == la.expire_after_days
    access_logs_logical, _ = buckets(template)[naming.log_bucket_name("access-logs")]
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": access_logs_logical},
        "LogFilePrefix": f"{purpose}/",
    }


@pytest.mark.parametrize("purpose", ["cloudtrail", "flowlogs", "waf-api", "config"])
def test_kms_encrypted_archives(
    template: Template, platform: PlatformConfig, naming: Naming, purpose: str
) -> None:
    _, bucket = buckets(template)[naming.log_bucket_name(purpose)]
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_ref = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert key_ref["Fn::GetAtt"][1] == "Arn"
    assert encryption["BucketKeyEnabled"] is True


def test_alb_and_access_log_buckets_use_the_only_encryption_their_delivery_supports(
    template: Template, platform: PlatformConfig, naming: Naming
) -> None:
    for purpose in ("alb", "access-logs"):
        _, bucket = buckets(template)[naming.log_bucket_name(purpose)]
        encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert len(encryption) == 1
        assert encryption[0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("purpose", [*ARCHIVES, "access-logs"])
def test_every_bucket_denies_non_tls_and_deletion(
    template: Template, platform: PlatformConfig, naming: Naming, purpose: str
) -> None:
    logical, _ = buckets(template)[naming.log_bucket_name(purpose)]
    statements = bucket_policy(template, logical)
    tls = [
        s for s in statements if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(tls) == 1
    assert tls[0]["Effect"] == "Deny"
    assert tls[0]["Action"] == "s3:*"
    deletion = sid(statements, "DenyDeletionExceptBreakGlass")
    assert deletion["Effect"] == "Deny"
    assert deletion["Principal"] == {"AWS": "*"}
    assert deletion["Action"] == DELETION_ACTIONS
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket"} <= set(DELETION_ACTIONS)


def test_cloudtrail_delivery_only_from_the_organization_trail(
    template: Template, platform: PlatformConfig, naming: Naming
) -> None:
    logical, _ = buckets(template)[naming.log_bucket_name("cloudtrail")]
    statements = bucket_policy(template, logical)
    trail_arn = (
        f"arn:aws:cloudtrail:{platform.home_region}:"
        f"{platform.account_id('management')}:trail/innovate-organization-trail"
    )
    for name in ("CloudTrailAclCheck", "CloudTrailWritesOrganizationTrail"):
        statement = sid(statements, name)
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    writes = sid(statements, "CloudTrailWritesOrganizationTrail")["Resource"]
    suffixes = {r["Fn::Join"][1][1] for r in writes}
    assert suffixes == {
        f"/AWSLogs/{platform.account_id('management')}/*",
        f"/AWSLogs/{platform.accounts.organization.organization_id}/*",
    }


@pytest.mark.parametrize("purpose", ["flowlogs", "waf-api"])
def test_log_delivery_service_only_for_the_workload_accounts_of_the_organization(
    template: Template, platform: PlatformConfig, naming: Naming, purpose: str
) -> None:
    logical, _ = buckets(template)[naming.log_bucket_name(purpose)]
    statements = bucket_policy(template, logical)
    for name in ("LogDeliveryAclCheck", "LogDeliveryWrite"):
        statement = sid(statements, name)
        assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {
                "aws:SourceOrgID": platform.accounts.organization.organization_id,
                "aws:SourceAccount": [
                    platform.account_id("development"),
                    platform.account_id("production"),
                ],
            }
        }


def test_firehose_writers_are_confined_to_the_organization_and_their_prefix(
    template: Template, platform: PlatformConfig, naming: Naming
) -> None:
    logical, _ = buckets(template)[naming.log_bucket_name("waf-api")]
    statement = sid(bucket_policy(template, logical), "OrganizationFirehoseWriteOwnPrefix")
    assert statement["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": platform.accounts.organization.organization_id}
    }
    assert statement["Resource"]["Fn::Join"][1][1] == "/firehose/${aws:PrincipalAccount}/*"


def test_load_balancer_delivery_limited_to_workload_account_prefixes(
    template: Template, platform: PlatformConfig, naming: Naming
) -> None:
    logical, _ = buckets(template)[naming.log_bucket_name("alb")]
    statement = sid(bucket_policy(template, logical), "LoadBalancerLogDelivery")
    suffixes = {r["Fn::Join"][1][1] for r in statement["Resource"]}
    dev = platform.account_id("development")
    prod = platform.account_id("production")
    assert suffixes == {
        f"/AWSLogs/{dev}/*",
        f"/*/AWSLogs/{dev}/*",
        f"/AWSLogs/{prod}/*",
        f"/*/AWSLogs/{prod}/*",
    }


def test_archive_key(template: Template, platform: PlatformConfig, naming: Naming) -> None:
    keys = template.find_resources("AWS::KMS::Key")
    assert len(keys) == 1
    key = next(iter(keys.values()))
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    trail = statements["CloudTrailEncryptsOrganizationTrail"]
    assert trail["Condition"]["StringEquals"]["aws:SourceArn"].endswith(
        ":trail/innovate-organization-trail"
    )
    writers = statements["OrganizationDeliveryRolesThroughS3"]
    assert writers["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == (
        platform.accounts.organization.organization_id
    )
    aliases = template.find_resources("AWS::KMS::Alias")
    assert [a["Properties"]["AliasName"] for a in aliases.values()] == [
        naming.log_archive_key_alias
    ]
