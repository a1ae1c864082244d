"""The SPA: its bucket and CloudFront distribution (with ``/api/*`` to the API on the
same origin). In us-east-1, beside the web ACL and certificate it uses and the CloudWatch
delivery source of its standard logs (which CloudFront creates only there); the API's
domain comes from the us-east-1 replica of the ingress stack's origin secret."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, RemovalPolicy, SecretValue
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from innovate_infra.constructs.cdn.distribution import (
    ApiOrigin,
    SpaDistribution,
    SpaDistributionProps,
)
from innovate_infra.constructs.cdn.security_headers import SecurityHeaders
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class WebStackProps:
    name_prefix: str
    bucket_name: str
    headers: SecurityHeaders
    price_class: str
    web_acl_arn: str
    api_origin_path: str
    # The us-east-1 replica of the ingress stack's origin secret: CloudFormation reads the
    # API's domain and the origin-verify value from it at deploy time.
    origin_secret_name: str
    origin_verify_key: str
    origin_domain_key: str
    log_bucket_name: str
    log_prefix: str
    retain: bool
    domain_name: str | None
    certificate: acm.ICertificate | None


class WebStack(PlatformStack):
    PURPOSE = "web"
    DESCRIPTION = "SPA bucket and CloudFront distribution, SPA and API on one origin (us-east-1)"
    SITE_ID = "Spa"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: WebStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self.site = SpaDistribution(
            self,
            self.SITE_ID,
            props=SpaDistributionProps(
                name_prefix=props.name_prefix,
                bucket_name=props.bucket_name,
                headers=props.headers,
                price_class=props.price_class,
                web_acl_arn=props.web_acl_arn,
                api=ApiOrigin(
                    domain_name=SecretValue.secrets_manager(
                        props.origin_secret_name, json_field=props.origin_domain_key
                    ).unsafe_unwrap(),
                    origin_path=props.api_origin_path,
                    verify_header_value=SecretValue.secrets_manager(
                        props.origin_secret_name, json_field=props.origin_verify_key
                    ).unsafe_unwrap(),
                ),
                removal_policy=RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY,
                log_bucket_name=props.log_bucket_name,
                log_prefix=props.log_prefix,
                domain_name=props.domain_name,
                certificate=props.certificate,
            ),
        )
        # What the pipeline needs to publish the build and invalidate the cache.
        CfnOutput(self, "SpaBucketName", value=self.site.bucket.bucket_name)
        CfnOutput(self, "DistributionId", value=self.site.distribution.distribution_id)
        CfnOutput(self, "DistributionDomainName", value=self.site.distribution.domain_name)
