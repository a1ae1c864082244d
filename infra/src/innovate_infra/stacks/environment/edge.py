"""The environment's CloudFront-scope pieces, in us-east-1 (CloudFront takes web ACLs and
certificates only from there): ``edge-logging`` (stateful: the region's key and the web
ACL's log group) and ``edge`` (the web ACL, its archive delivery stream, the SPA's
certificate)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from constructs import Construct

from innovate_infra.constructs.edge.log_shipping import ArchiveLogShipping, ArchiveLogShippingProps
from innovate_infra.constructs.edge.web_acl import WebAcl, WebAclProps
from innovate_infra.constructs.kms.encryption_key import (
    EncryptionKey,
    EncryptionKeyProps,
    ServicePrincipalUsage,
)
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class EdgeLoggingStackProps:
    naming: Naming
    environment: str
    retention_days: int
    retain: bool


class EdgeLoggingStack(PlatformStack):
    """The us-east-1 ``edge`` key (web ACL log group, delivery stream, the origin-verify
    secret's replica) and the CloudFront web ACL's log group."""

    PURPOSE = "edge-logging"
    DESCRIPTION = "us-east-1 key and CloudFront web ACL log group (stateful)"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: EdgeLoggingStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        removal = RemovalPolicy.RETAIN if props.retain else RemovalPolicy.DESTROY
        region, account = self.region, self.account
        env = props.environment
        self.key = EncryptionKey(
            self,
            "EdgeKey",
            props=EncryptionKeyProps(
                purpose="edge",
                alias=props.naming.key_alias(env, "edge"),
                description=f"{env}: us-east-1 logs, log delivery stream, origin-verify replica",
                removal_policy=removal,
                administrator_arns=(
                    props.naming.cdk_exec_role_arn(account, region),
                    *props.naming.break_glass_principal_arns(),
                ),
                via_services=(
                    f"firehose.{region}.amazonaws.com",
                    f"secretsmanager.{region}.amazonaws.com",
                ),
                allow_grants_via_services=True,
                service_principals=(
                    ServicePrincipalUsage(
                        service=f"logs.{region}.amazonaws.com",
                        encryption_context_key="aws:logs:arn",
                        encryption_context_arn_pattern=f"arn:aws:logs:{region}:{account}:log-group:*",
                    ),
                ),
            ),
        ).key
        self.web_acl_logs = EncryptedLogGroup(
            self,
            "WebAclLogs",
            props=EncryptedLogGroupProps(
                log_group_name=props.naming.waf_log_group_name(env, "cloudfront"),
                encryption_key=self.key,
                retention_days=props.retention_days,
                removal_policy=removal,
            ),
        ).log_group


@dataclass(frozen=True)
class EdgeStackProps:
    naming: Naming
    environment: str
    key: kms.IKey
    web_acl_logs: logs.ILogGroup
    rate_limit_per_ip: int
    login_rate_limit_per_ip: int
    body_size_limit_bytes: int
    evaluation_window_seconds: int
    archive_bucket_name: str
    domain_name: str | None
    hosted_zone_id: str | None
    certificate_arn: str | None


class EdgeStack(PlatformStack):
    PURPOSE = "edge"
    DESCRIPTION = "CloudFront web ACL, its log delivery stream, the SPA certificate (us-east-1)"
    WEB_ACL_ID = "CloudFrontWebAcl"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: EdgeStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        env = props.environment
        self.web_acl = WebAcl(
            self,
            self.WEB_ACL_ID,
            props=WebAclProps(
                name=props.naming.web_acl_name(env, "cloudfront"),
                scope="CLOUDFRONT",
                rate_limit_per_ip=props.rate_limit_per_ip,
                login_rate_limit_per_ip=props.login_rate_limit_per_ip,
                body_size_limit_bytes=props.body_size_limit_bytes,
                evaluation_window_seconds=props.evaluation_window_seconds,
                log_group=props.web_acl_logs,
            ),
        ).web_acl
        ArchiveLogShipping(
            self,
            "ArchiveLogs",
            props=ArchiveLogShippingProps(
                stream_name=props.naming.delivery_stream_name(env, "cloudfront-waf"),
                stream_key=props.key,
                archive_bucket_name=props.archive_bucket_name,
                archive_prefix=f"{env}/cloudfront-waf",
                archive_key_arn_pattern=props.naming.log_archive_key_arn_pattern,
                archive_key_alias=props.naming.log_archive_key_alias,
                log_groups=(props.web_acl_logs,),
            ),
        )
        self.certificate: acm.ICertificate | None = None
        if props.domain_name and props.certificate_arn:
            self.certificate = acm.Certificate.from_certificate_arn(
                self, "SpaCertificate", props.certificate_arn
            )
        elif props.domain_name and props.hosted_zone_id:
            # CloudFormation validates by zone id; the zone name is not emitted.
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self,
                "Zone",
                hosted_zone_id=props.hosted_zone_id,
                zone_name=props.domain_name.split(".", 1)[1],
            )
            self.certificate = acm.Certificate(
                self,
                "SpaCertificate",
                domain_name=props.domain_name,
                validation=acm.CertificateValidation.from_dns(zone),
            )
