"""Stateless stack: the API's public entry. REST API (regional, WAF) -> VPC link v2 ->
internal ALB (private subnets) -> the pods' IP target group."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from innovate_infra.constructs.api.alb import InternalAlb, InternalAlbProps
from innovate_infra.constructs.api.rest_api import STAGE_NAME, PrivateRestApi, PrivateRestApiProps
from innovate_infra.constructs.cdn.distribution import ORIGIN_VERIFY_HEADER
from innovate_infra.constructs.edge.log_shipping import ArchiveLogShipping, ArchiveLogShippingProps
from innovate_infra.constructs.edge.web_acl import OriginCheck, WebAcl, WebAclProps
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings

# Keys of the origin secret's JSON.
ORIGIN_VERIFY_KEY = "value"
ORIGIN_DOMAIN_KEY = "api_domain"


@dataclass(frozen=True)
class IngressStackProps:
    naming: Naming
    environment: str
    vpc: ec2.IVpc
    private_subnets: tuple[ec2.ISubnet, ...]
    secrets_key: kms.IKey
    stream_key: kms.IKey
    access_log_group: logs.ILogGroup
    web_acl_log_group: logs.ILogGroup
    alb_certificate_arn: str
    alb_host_name: str
    deletion_protection: bool
    alb_log_bucket_name: str
    alb_log_prefix: str
    archive_bucket_name: str
    throttle_rate_limit: float
    throttle_burst_limit: int
    rate_limit_per_ip: int
    login_rate_limit_per_ip: int
    body_size_limit_bytes: int
    evaluation_window_seconds: int
    replica_region: str
    replica_key_alias: str
    domain_name: str | None = None
    certificate_arn: str | None = None


class IngressStack(PlatformStack):
    PURPOSE = "ingress"
    DESCRIPTION = "REST API, its web ACL, VPC link v2 and the internal API ALB (stateless)"
    ALB_ID = "Alb"
    API_ID = "Api"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: IngressStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        env, naming = props.environment, props.naming
        self.alb = InternalAlb(
            self,
            self.ALB_ID,
            props=InternalAlbProps(
                name_prefix=naming.prefix(env),
                vpc=props.vpc,
                subnets=props.private_subnets,
                certificate_arn=props.alb_certificate_arn,
                deletion_protection=props.deletion_protection,
                log_bucket_name=props.alb_log_bucket_name,
                log_prefix=props.alb_log_prefix,
            ),
        )
        self.api = PrivateRestApi(
            self,
            self.API_ID,
            props=PrivateRestApiProps(
                name=naming.prefix(env),
                vpc=props.vpc,
                subnets=props.private_subnets,
                vpc_link_security_group=self.alb.vpc_link_security_group,
                load_balancer_arn=self.alb.load_balancer.load_balancer_arn,
                alb_host_name=props.alb_host_name,
                access_log_group=props.access_log_group,
                throttle_rate_limit=props.throttle_rate_limit,
                throttle_burst_limit=props.throttle_burst_limit,
                domain_name=props.domain_name,
                certificate_arn=props.certificate_arn,
            ),
        )

        # The API's origin for CloudFront, replicated to us-east-1 where the distribution's
        # template reads it by name (no cross-region custom resources): ``value``, the
        # header CloudFront adds to every /api/* request (x-origin-verify) and the web ACL
        # requires, so callers going around CloudFront (and its web ACL) are refused; and
        # ``api_domain``, the stage's execute-api name (not secret).
        self.origin_verify = secretsmanager.Secret(
            self,
            "OriginVerify",
            secret_name=naming.origin_verify_secret_name(env),
            description=f"{naming.prefix(env)}: proof that a request came through CloudFront",
            # Imported by ARN: the Secret construct would otherwise widen the secrets key's
            # policy (CreateGrant for any principal of the account via Secrets Manager).
            encryption_key=kms.Key.from_key_arn(self, "SecretsKey", props.secrets_key.key_arn),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=Stack.of(self).to_json_string(
                    {ORIGIN_DOMAIN_KEY: self.api.execute_api_domain}
                ),
                generate_string_key=ORIGIN_VERIFY_KEY,
                password_length=48,
                exclude_punctuation=True,
            ),
        )
        cfn_secret = self.origin_verify.node.default_child
        if not isinstance(cfn_secret, secretsmanager.CfnSecret):
            raise TypeError("Secret has no CfnSecret default child")
        cfn_secret.replica_regions = [
            secretsmanager.CfnSecret.ReplicaRegionProperty(
                region=props.replica_region, kms_key_id=props.replica_key_alias
            )
        ]

        self.web_acl = WebAcl(
            self,
            "ApiWebAcl",
            props=WebAclProps(
                name=naming.web_acl_name(env, "api"),
                scope="REGIONAL",
                rate_limit_per_ip=props.rate_limit_per_ip,
                login_rate_limit_per_ip=props.login_rate_limit_per_ip,
                body_size_limit_bytes=props.body_size_limit_bytes,
                evaluation_window_seconds=props.evaluation_window_seconds,
                log_group=props.web_acl_log_group,
                origin_check=OriginCheck(
                    header_name=ORIGIN_VERIFY_HEADER,
                    value=self.origin_verify.secret_value_from_json(
                        ORIGIN_VERIFY_KEY
                    ).unsafe_unwrap(),
                ),
            ),
        ).web_acl
        wafv2.CfnWebACLAssociation(
            self,
            "ApiWebAclAssociation",
            resource_arn=self.api.stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
        ArchiveLogShipping(
            self,
            "ArchiveLogs",
            props=ArchiveLogShippingProps(
                stream_name=naming.delivery_stream_name(env, "api"),
                stream_key=props.stream_key,
                archive_bucket_name=props.archive_bucket_name,
                archive_prefix=f"{env}/api",
                archive_key_arn_pattern=naming.log_archive_key_arn_pattern,
                archive_key_alias=naming.log_archive_key_alias,
                log_groups=(props.access_log_group, props.web_acl_log_group),
            ),
        )

        # For the chart's TargetGroupBinding.
        self.target_group_parameter = ssm.StringParameter(
            self,
            "TargetGroupArn",
            parameter_name=naming.deployment_parameter_name(env, "target-group-arn"),
            string_value=self.alb.target_group.target_group_arn,
            description="API target group ARN for the TargetGroupBinding",
        )
        CfnOutput(self, "ApiTargetGroupArn", value=self.alb.target_group.target_group_arn)
        self.origin_path = f"/{STAGE_NAME}"

    @property
    def alb_security_group(self) -> ec2.ISecurityGroup:
        """The cluster admits the ALB on the application port (added with the cluster)."""
        return self.alb.security_group
