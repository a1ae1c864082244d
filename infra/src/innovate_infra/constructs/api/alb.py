"""The API's internal Application Load Balancer (private subnets): HTTPS only, TLS 1.2+,
invalid header fields dropped, access logs to the organization archive, reachable only
from the API Gateway VPC link; pods are registered into its IP target group by the
AWS Load Balancer Controller (TargetGroupBinding)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

APP_PORT = 8000
HEALTH_CHECK_PATH = "/readyz"
# ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3 and 1.2 only.
SSL_POLICY = elbv2.SslPolicy.RECOMMENDED_TLS


@dataclass(frozen=True)
class InternalAlbProps:
    name_prefix: str
    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet]
    certificate_arn: str
    deletion_protection: bool
    log_bucket_name: str
    log_prefix: str


class InternalAlb(Construct):
    ALB_ID: ClassVar[str] = "LoadBalancer"

    def __init__(self, scope: Construct, construct_id: str, *, props: InternalAlbProps) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=props.vpc,
            description=f"{props.name_prefix} internal API ALB: HTTPS from the VPC link only",
            allow_all_outbound=False,
        )
        self.vpc_link_security_group = ec2.SecurityGroup(
            self,
            "VpcLinkSecurityGroup",
            vpc=props.vpc,
            description=f"{props.name_prefix} API Gateway VPC link: HTTPS to the API ALB only",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            self.vpc_link_security_group, ec2.Port.tcp(443), "HTTPS from the API Gateway VPC link"
        )
        self.vpc_link_security_group.add_egress_rule(
            self.security_group, ec2.Port.tcp(443), "HTTPS to the internal API ALB"
        )
        # To the pods (IP targets) on the application port, inside the VPC only.
        self.security_group.add_egress_rule(
            ec2.Peer.ipv4(props.vpc.vpc_cidr_block),
            ec2.Port.tcp(APP_PORT),
            "the API pods (IP targets) on the application port",
        )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            self.ALB_ID,
            vpc=props.vpc,
            internet_facing=False,
            vpc_subnets=ec2.SubnetSelection(subnets=list(props.subnets)),
            security_group=self.security_group,
            drop_invalid_header_fields=True,
            deletion_protection=props.deletion_protection,
            http2_enabled=True,
        )
        # The archive bucket is another account's (by name): its policy admits ELB log
        # delivery for the workload accounts (LogArchiveBuckets._alb_policy).
        for key, value in (
            ("access_logs.s3.enabled", "true"),
            ("access_logs.s3.bucket", props.log_bucket_name),
            ("access_logs.s3.prefix", props.log_prefix),
        ):
            self.load_balancer.set_attribute(key, value)

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "ApiTargets",
            vpc=props.vpc,
            target_type=elbv2.TargetType.IP,
            port=APP_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH,
                port=str(APP_PORT),
                healthy_http_codes="200",
                interval=Duration.seconds(10),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
            deregistration_delay=Duration.seconds(30),
        )
        self.listener = self.load_balancer.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            ssl_policy=SSL_POLICY,
            certificates=[elbv2.ListenerCertificate.from_arn(props.certificate_arn)],
            default_target_groups=[self.target_group],
            open=False,
        )
