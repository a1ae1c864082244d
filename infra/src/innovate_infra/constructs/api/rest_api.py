"""The API's REST API (regional): only ``/api/{proxy+}`` exists, forwarded over a VPC
link v2 to the internal ALB (REST API private integration with an ALB, no NLB); a stage
with JSON access logs, throttling and X-Ray; optional TLS 1.2 custom domain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

STAGE_NAME = "live"
PROXY_PATH = "/api/{proxy+}"


@dataclass(frozen=True)
class PrivateRestApiProps:
    name: str
    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet]
    vpc_link_security_group: ec2.ISecurityGroup
    load_balancer_arn: str
    # The name on the ALB's certificate: TLS server name and verification.
    alb_host_name: str
    access_log_group: logs.ILogGroup
    throttle_rate_limit: float
    throttle_burst_limit: int
    domain_name: str | None = None
    certificate_arn: str | None = None


class PrivateRestApi(Construct):
    API_ID: ClassVar[str] = "RestApi"

    def __init__(self, scope: Construct, construct_id: str, *, props: PrivateRestApiProps) -> None:
        super().__init__(scope, construct_id)
        self.vpc_link = apigwv2.VpcLink(
            self,
            "VpcLink",
            vpc=props.vpc,
            subnets=ec2.SubnetSelection(subnets=list(props.subnets)),
            security_groups=[props.vpc_link_security_group],
            vpc_link_name=f"{props.name}-alb",
        )
        self.api = apigw.RestApi(
            self,
            self.API_ID,
            rest_api_name=props.name,
            description=f"{props.name}: /api/{{proxy+}} to the internal ALB (VPC link v2)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(props.access_log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                throttling_rate_limit=props.throttle_rate_limit,
                throttling_burst_limit=props.throttle_burst_limit,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        self.api.add_request_validator(
            "ParameterValidator", validate_request_parameters=True, validate_request_body=True
        )
        proxy = self.api.root.add_resource("api").add_resource("{proxy+}")
        method = proxy.add_method(
            "ANY",
            apigw.Integration(
                type=apigw.IntegrationType.HTTP_PROXY,
                integration_http_method="ANY",
                uri=f"https://{props.alb_host_name}/api/{{proxy}}",
                options=apigw.IntegrationOptions(
                    request_parameters={
                        "integration.request.path.proxy": "method.request.path.proxy"
                    },
                ),
            ),
            request_parameters={"method.request.path.proxy": True},
        )
        # REST API -> ALB private integration (VPC link v2): CDK's L2 knows only v1 links,
        # so the three properties are set on the CloudFormation method.
        cfn_method = method.node.default_child
        if not isinstance(cfn_method, apigw.CfnMethod):
            raise TypeError("Method has no CfnMethod default child")
        cfn_method.add_property_override("Integration.ConnectionType", "VPC_LINK")
        cfn_method.add_property_override("Integration.ConnectionId", self.vpc_link.vpc_link_id)
        cfn_method.add_property_override("Integration.IntegrationTarget", props.load_balancer_arn)

        self.stage = self.api.deployment_stage
        self.domain: apigw.DomainName | None = None
        if props.domain_name and props.certificate_arn:
            self.domain = apigw.DomainName(
                self,
                "Domain",
                domain_name=props.domain_name,
                certificate=acm.Certificate.from_certificate_arn(
                    self, "Certificate", props.certificate_arn
                ),
                endpoint_type=apigw.EndpointType.REGIONAL,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
                mapping=self.api,
            )

    @property
    def execute_api_domain(self) -> str:
        return f"{self.api.rest_api_id}.execute-api.{self.api.env.region}.amazonaws.com"
