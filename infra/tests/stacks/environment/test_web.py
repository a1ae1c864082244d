"""The SPA's distribution (us-east-1 web stack) per environment: TLS, WAF, headers from
web/security-headers.json, routing, caching, standard logs, the OAC bucket policy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.stages import SECURITY_HEADERS_FILE

from tests.helpers import resources_of

ENVIRONMENTS = ["dev", "staging", "prod"]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
Templates = dict[str, dict[str, Any]]


def only(template: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = resources_of(template, cfn_type).items()
    return logical_id, resource["Properties"]


def distribution(templates: Templates, env: str) -> dict[str, Any]:
    return only(templates[f"innovate-{env}-web"], "AWS::CloudFront::Distribution")[1][
        "DistributionConfig"
    ]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_distribution_is_https_only_with_waf_and_http3(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    config = distribution(templates, env_name)
    web = platform.environment(env_name).edge.web
    assert config["HttpVersion"] == "http2and3"
    assert config["PriceClass"] == web.price_class
    assert config["WebACLId"]["Fn::ImportValue"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert behaviours["/api/*"]["ViewerProtocolPolicy"] == "https-only"
    assert behaviours["/assets/*"]["ViewerProtocolPolicy"] == "redirect-to-https"
    if web.domain_name:
        assert config["Aliases"] == [web.domain_name]
        assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
        assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    else:
        assert "Aliases" not in config
    api = next(o for o in config["Origins"] if "CustomOriginConfig" in o)
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert api["OriginPath"] == "/live"
    header = api["OriginCustomHeaders"][0]
    assert header["HeaderName"] == "x-origin-verify"
    # Read from the secret's replica at deploy time, never written into the template.
    assert header["HeaderValue"].startswith("{{resolve:secretsmanager:innovate/")
    assert api["DomainName"].startswith("{{resolve:secretsmanager:innovate/")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_spa_routing_runs_on_the_default_behaviour_only(
    templates: Templates, env_name: str
) -> None:
    config = distribution(templates, env_name)
    assert [a["EventType"] for a in config["DefaultCacheBehavior"]["FunctionAssociations"]] == [
        "viewer-request"
    ]
    for behaviour in config["CacheBehaviors"]:
        assert "FunctionAssociations" not in behaviour, behaviour["PathPattern"]
    # No distribution-wide error rewriting: a real 404/5xx from the API stays one.
    assert "CustomErrorResponses" not in config


def test_routing_function_rewrites_deep_links_only() -> None:
    import shutil
    import subprocess
    from pathlib import Path

    source = (
        Path(__file__).resolve().parents[3] / "src/innovate_infra/constructs/cdn/spa_routing.js"
    ).read_text(encoding="utf-8")
    script = source + (
        "\nfor (const uri of ['/', '/notes/42', '/about', '/assets/app.1a2b.js', '/favicon.ico'])"
        " console.log(uri + ' ' + handler({request: {uri}}).uri);"
    )
    node = shutil.which("node")
    assert node, "node is needed at synth time (jsii) and runs the function here"
    out = subprocess.run(  # noqa: S603 (our own script)
        [node, "-e", script], capture_output=True, text=True, check=True
    )
    assert out.stdout.split("\n")[:5] == [
        "/ /index.html",
        "/notes/42 /index.html",
        "/about /index.html",
        "/assets/app.1a2b.js /assets/app.1a2b.js",
        "/favicon.ico /favicon.ico",
    ]


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_assets_cached_a_year_pages_and_api_never(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-web"]
    config = distribution(templates, env_name)
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED
    assert behaviours["/api/*"]["CachePolicyId"] == CACHING_DISABLED
    policies = resources_of(template, "AWS::CloudFront::CachePolicy")
    [assets] = [p["Properties"]["CachePolicyConfig"] for p in policies.values()]
    assert assets["MinTTL"] == assets["DefaultTTL"] == assets["MaxTTL"] == 365 * 86400


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_response_headers_follow_the_contract(templates: Templates, env_name: str) -> None:
    contract = json.loads(SECURITY_HEADERS_FILE.read_text(encoding="utf-8"))
    template = templates[f"innovate-{env_name}-web"]
    policies = resources_of(template, "AWS::CloudFront::ResponseHeadersPolicy")
    assert len(policies) == 3  # pages, assets, API
    cache_control = {}
    for policy in policies.values():
        config = policy["Properties"]["ResponseHeadersPolicyConfig"]
        sec = config["SecurityHeadersConfig"]
        assert (
            sec["ContentSecurityPolicy"]["ContentSecurityPolicy"]
            == contract["content_security_policy"]
        )
        hsts = contract["strict_transport_security"]
        assert sec["StrictTransportSecurity"] == {
            "AccessControlMaxAgeSec": hsts["max_age_seconds"],
            "IncludeSubdomains": hsts["include_subdomains"],
            "Preload": hsts["preload"],
            "Override": True,
        }
        assert sec["ContentTypeOptions"] == {"Override": True}
        assert sec["FrameOptions"]["FrameOption"] == contract["frame_options"]
        assert sec["ReferrerPolicy"]["ReferrerPolicy"] == contract["referrer_policy"]
        custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
        cache_control[config["Name"]] = custom.pop("Cache-Control", None)
        assert custom == contract["custom_headers"]
    assert cache_control == {
        f"innovate-{env_name}-spa-pages": "no-cache",
        f"innovate-{env_name}-spa-assets": "public, max-age=31536000, immutable",
        f"innovate-{env_name}-api": None,
    }


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_standard_logs_v2_go_to_the_archive(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-web"]
    _, source = only(template, "AWS::Logs::DeliverySource")
    _, destination = only(template, "AWS::Logs::DeliveryDestination")
    only(template, "AWS::Logs::Delivery")
    assert source["LogType"] == "ACCESS_LOGS"
    security = platform.account_id("security")
    assert destination["DestinationResourceArn"] == (
        f"arn:aws:s3:::aws-waf-logs-innovate-logs-{security}-eu-west-1/cloudfront/{env_name}"
    )


def _render(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(_render(p, refs)) for p in parts)
        if "Fn::GetAtt" in value:
            return refs[value["Fn::GetAtt"][0]]
        if "Ref" in value:
            return refs.get(value["Ref"], value["Ref"])
        return {k: _render(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, refs) for v in value]
    return value


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_spa_bucket_serves_this_distribution_only(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-web"]
    account = platform.environment_account_id(platform.environment(env_name))
    buckets = resources_of(template, "AWS::S3::Bucket")
    [spa] = [i for i in buckets if i.startswith("SpaBucket")]
    [dist] = resources_of(template, "AWS::CloudFront::Distribution")
    refs = {
        spa: "arn:aws:s3:::spa",
        dist: "EDIST",
        "AWS::Partition": "aws",
        "AWS::AccountId": account,
    }
    [policy] = [
        _render(p["Properties"]["PolicyDocument"], refs)
        for p in resources_of(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": spa}
    ]
    cloudfront = Principal.of_service("cloudfront.amazonaws.com")

    def get(principal: Principal, source_arn: str | None, tls: bool = True) -> bool:
        context: dict[str, Any] = {"aws:SecureTransport": tls, "s3:TlsVersion": 1.3}
        if source_arn:
            context["aws:SourceArn"] = source_arn
        return authorize(
            Request(principal, "s3:GetObject", "arn:aws:s3:::spa/index.html", context),
            resource_policy=policy,
            resource_account=account,
        ).allowed

    this = f"arn:aws:cloudfront::{account}:distribution/EDIST"
    assert get(cloudfront, this)
    assert not get(cloudfront, f"arn:aws:cloudfront::{account}:distribution/EOTHER")
    assert not get(cloudfront, "arn:aws:cloudfront::999999999999:distribution/EDIST")
    assert not get(Principal(arn="arn:aws:iam::999999999999:role/anyone"), None)


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_spa_buckets_are_private_versioned_and_logged(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-web"]
    buckets = resources_of(template, "AWS::S3::Bucket")
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    [spa] = [b for i, b in buckets.items() if i.startswith("SpaBucket")]
    assert spa["Properties"]["LoggingConfiguration"]["LogFilePrefix"] == "spa/"
