"""The SPA's CloudFront distribution: a private S3 origin through Origin Access Control,
the API on the same origin (``/api/*`` to API Gateway), the response-headers policy from
``web/security-headers.json``, SPA routing, caching by path, standard logs (v2) to the
organization log archive."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from innovate_infra.constructs.cdn.security_headers import SecurityHeaders

ROUTING_FUNCTION = Path(__file__).with_name("spa_routing.js")
API_PATH = "/api/*"
ASSETS_PATH = "/assets/*"
ONE_YEAR = Duration.days(365)
ORIGIN_VERIFY_HEADER = "x-origin-verify"


@dataclass(frozen=True)
class ApiOrigin:
    domain_name: str
    """``<api-id>.execute-api.<region>.amazonaws.com`` (or the API's custom domain)."""
    origin_path: str
    """``/<stage>``: CloudFront prefixes it to ``/api/...``."""
    verify_header_value: str
    """A secret dynamic reference: the API's web ACL refuses requests without it."""


@dataclass(frozen=True)
class SpaDistributionProps:
    name_prefix: str
    # The SPA bucket's name: the deploy role's upload grant names it.
    bucket_name: str
    headers: SecurityHeaders
    price_class: str
    web_acl_arn: str
    api: ApiOrigin
    removal_policy: RemovalPolicy
    # Standard logging (v2): an archive bucket (security/logs account) and prefix.
    log_bucket_name: str
    log_prefix: str
    domain_name: str | None = None
    certificate: acm.ICertificate | None = None


class SpaDistribution(Construct):
    BUCKET_ID: ClassVar[str] = "Bucket"
    ACCESS_LOGS_ID: ClassVar[str] = "AccessLogs"
    DISTRIBUTION_ID: ClassVar[str] = "Distribution"

    def __init__(self, scope: Construct, construct_id: str, *, props: SpaDistributionProps) -> None:
        super().__init__(scope, construct_id)
        if (props.domain_name is None) != (props.certificate is None):
            raise ValueError("SpaDistribution: domain_name and certificate go together")
        # S3 server access logs can only go to a bucket of the same account and region.
        self.access_logs = s3.Bucket(
            self,
            self.ACCESS_LOGS_ID,
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(400),
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=props.removal_policy,
            auto_delete_objects=False,
        )
        # The built SPA. SSE-S3: public content (served to anyone), and OAC reads it with
        # no key policy to keep in step with the distribution.
        self.bucket = s3.Bucket(
            self,
            self.BUCKET_ID,
            bucket_name=props.bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="spa/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(90),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=props.removal_policy,
        )

        routing = cloudfront.Function(
            self,
            "SpaRouting",
            function_name=f"{props.name_prefix}-spa-routing",
            code=cloudfront.FunctionCode.from_file(file_path=str(ROUTING_FUNCTION)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Deep links of the SPA to /index.html (default behaviour only)",
        )
        self.page_headers = self._headers_policy(
            "PageHeaders", f"{props.name_prefix}-spa-pages", props.headers, "no-cache"
        )
        self.asset_headers = self._headers_policy(
            "AssetHeaders",
            f"{props.name_prefix}-spa-assets",
            props.headers,
            f"public, max-age={int(ONE_YEAR.to_seconds())}, immutable",
        )
        self.api_headers = self._headers_policy(
            "ApiHeaders", f"{props.name_prefix}-api", props.headers, None
        )
        assets_cache = cloudfront.CachePolicy(
            self,
            "AssetsCache",
            cache_policy_name=f"{props.name_prefix}-spa-assets",
            comment="Hashed build assets: cached for a year",
            min_ttl=ONE_YEAR,
            default_ttl=ONE_YEAR,
            max_ttl=ONE_YEAR,
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        s3_origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        api_origin = origins.HttpOrigin(
            props.api.domain_name,
            origin_path=props.api.origin_path,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            custom_headers={ORIGIN_VERIFY_HEADER: props.api.verify_header_value},
        )

        self.distribution = cloudfront.Distribution(
            self,
            self.DISTRIBUTION_ID,
            comment=f"{props.name_prefix}: SPA and API (same origin)",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # Applies to a custom domain's certificate (CloudFront fixes the policy of its
            # default *.cloudfront.net certificate).
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if props.certificate else None
            ),
            price_class=cloudfront.PriceClass[
                props.price_class.upper().replace("PRICECLASS", "PRICE_CLASS")
            ],
            enable_ipv6=True,
            web_acl_id=props.web_acl_arn,
            domain_names=[props.domain_name] if props.domain_name else None,
            certificate=props.certificate,
            default_behavior=cloudfront.BehaviorOptions(
                origin=s3_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                response_headers_policy=self.page_headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=routing, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                ASSETS_PATH: cloudfront.BehaviorOptions(
                    origin=s3_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=assets_cache,
                    response_headers_policy=self.asset_headers,
                    compress=True,
                ),
                API_PATH: cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # Everything the API needs (Authorization, query strings) but Host:
                    # API Gateway routes on its own name.
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                    response_headers_policy=self.api_headers,
                    compress=True,
                ),
            },
        )

        # Standard logging v2 (CloudWatch vended logs): delivers cross-account to a
        # BucketOwnerEnforced, SSE-KMS archive bucket, which legacy logging cannot (it
        # needs object ACLs). Delivery sources for CloudFront live in us-east-1.
        stack = Stack.of(self)
        source = logs.CfnDeliverySource(
            self,
            "AccessLogSource",
            name=f"{props.name_prefix}-cloudfront",
            log_type="ACCESS_LOGS",
            resource_arn=(
                f"arn:aws:cloudfront::{stack.account}:distribution/"
                f"{self.distribution.distribution_id}"
            ),
        )
        destination = logs.CfnDeliveryDestination(
            self,
            "AccessLogDestination",
            name=f"{props.name_prefix}-cloudfront-archive",
            destination_resource_arn=f"arn:aws:s3:::{props.log_bucket_name}/{props.log_prefix}",
            output_format="parquet",
        )
        delivery = logs.CfnDelivery(
            self,
            "AccessLogDelivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.attr_arn,
        )
        delivery.add_resource_dependency(source)

    def _headers_policy(
        self,
        construct_id: str,
        name: str,
        headers: SecurityHeaders,
        cache_control: str | None,
    ) -> cloudfront.ResponseHeadersPolicy:
        custom = [
            cloudfront.ResponseCustomHeader(header=k, value=v, override=True)
            for k, v in headers.custom_headers
        ]
        if cache_control is not None:
            custom.append(
                cloudfront.ResponseCustomHeader(
                    header="Cache-Control", value=cache_control, override=True
                )
            )
        return cloudfront.ResponseHeadersPolicy(
            self,
            construct_id,
            response_headers_policy_name=name,
            comment="From web/security-headers.json",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=headers.content_security_policy, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.seconds(headers.hsts_max_age_seconds),
                    include_subdomains=headers.hsts_include_subdomains,
                    preload=headers.hsts_preload,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption[headers.frame_options],
                    override=True,
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy[
                        headers.referrer_policy.upper().replace("-", "_")
                    ],
                    override=True,
                ),
            ),
            custom_headers_behavior=(
                cloudfront.ResponseCustomHeadersBehavior(custom_headers=custom) if custom else None
            ),
        )
