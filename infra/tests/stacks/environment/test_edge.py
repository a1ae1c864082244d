"""The us-east-1 CloudFront-scope stacks: web ACL, its logs, the certificate."""

from __future__ import annotations

from typing import Any

import pytest
from innovate_infra.config import PlatformConfig

from tests.helpers import resources_of

ENVIRONMENTS = ["dev", "staging", "prod"]
Templates = dict[str, dict[str, Any]]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_cloudfront_web_acl(templates: Templates, platform: PlatformConfig, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-edge"]
    waf = platform.environment(env_name).edge.waf
    [acl] = [r["Properties"] for r in resources_of(template, "AWS::WAFv2::WebACL").values()]
    assert acl["Scope"] == "CLOUDFRONT"
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert list(rules) == [
        "RateLimitSignInPerIp",
        "RateLimitPerIp",
        "BodySizeLimit",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    ]
    rate = rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert rate == {
        "Limit": waf.rate_limit_per_ip,
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": waf.evaluation_window_seconds,
    }
    assert resources_of(template, "AWS::WAFv2::LoggingConfiguration")
    [stream] = resources_of(template, "AWS::KinesisFirehose::DeliveryStream").values()
    assert (
        "/cloudfront-waf/" in stream["Properties"]["ExtendedS3DestinationConfiguration"]["Prefix"]
    )


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_edge_logs_are_encrypted_in_us_east_1(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-edge-logging"]
    [group] = resources_of(template, "AWS::Logs::LogGroup").values()
    props = group["Properties"]
    assert props["LogGroupName"] == f"aws-waf-logs-innovate-{env_name}-cloudfront"
    assert props["RetentionInDays"] == platform.environment(env_name).logging.retention_days
    assert "KmsKeyId" in props
    [key] = resources_of(template, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_spa_certificate_only_with_a_domain(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-edge"]
    web = platform.environment(env_name).edge.web
    certificates = resources_of(template, "AWS::CertificateManager::Certificate")
    if web.domain_name and web.hosted_zone_id:
        [cert] = certificates.values()
        assert cert["Properties"]["DomainName"] == web.domain_name
        assert cert["Properties"]["ValidationMethod"] == "DNS"
        [option] = cert["Properties"]["DomainValidationOptions"]
        assert option["HostedZoneId"] == web.hosted_zone_id
    else:
        assert not certificates
