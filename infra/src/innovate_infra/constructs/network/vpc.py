"""The environment VPC: subnet tiers per AZ, NAT, optional egress firewall, flow logs,
VPC endpoints and a locked default security group."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from innovate_infra.constructs.logging.log_archive import LogArchiveDestination
from innovate_infra.constructs.network import endpoint_policies
from innovate_infra.constructs.network.dns_firewall import DnsFirewall, DnsFirewallProps
from innovate_infra.constructs.network.firewall import (
    EgressFirewall,
    EgressFirewallProps,
    EndpointLayout,
)

PUBLIC, PRIVATE, ISOLATED, FIREWALL = "public", "private", "isolated", "firewall"

# Interface endpoints that keep AWS API traffic inside the VPC (construct id -> service).
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "CloudWatchLogs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    # The cluster (EKS user guide, "Deploy private clusters with limited internet
    # access"; Karpenter, "Private Clusters"): nodes and the VPC CNI (EC2), Karpenter
    # (EC2, SSM for AMI ids, SQS for interruptions, EKS), Pod Identity (EKS Auth), the
    # kubectl provider (EKS), the load balancer controller (ELB), node access through
    # Session Manager (SSM, SSM messages, EC2 messages), and managed node groups (Auto
    # Scaling).
    "Ec2": ec2.InterfaceVpcEndpointAwsService.EC2,
    "Eks": ec2.InterfaceVpcEndpointAwsService.EKS,
    "EksAuth": ec2.InterfaceVpcEndpointAwsService.EKS_AUTH,
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
    "SsmMessages": ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    "Ec2Messages": ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    "ElasticLoadBalancing": ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING,
    "AutoScaling": ec2.InterfaceVpcEndpointAwsService.AUTOSCALING,
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
}

# Each interface endpoint's policy (endpoint_policies.py); a new endpoint needs an entry.
ENDPOINT_POLICY: dict[str, Callable[[str], list[iam.PolicyStatement]]] = {
    "EcrApi": endpoint_policies.ecr_statements,
    "EcrDocker": endpoint_policies.ecr_statements,
    "Sts": endpoint_policies.sts_statements,
    "SecretsManager": endpoint_policies.default_statements,
    "CloudWatchLogs": endpoint_policies.default_statements,
    "Kms": endpoint_policies.default_statements,
    "Ec2": endpoint_policies.ec2_statements,
    "Eks": endpoint_policies.default_statements,
    "EksAuth": endpoint_policies.default_statements,
    "Ssm": endpoint_policies.ssm_statements,
    "SsmMessages": endpoint_policies.session_channel_statements("ssmmessages"),
    "Ec2Messages": endpoint_policies.session_channel_statements("ec2messages"),
    "ElasticLoadBalancing": endpoint_policies.elb_statements,
    "AutoScaling": endpoint_policies.default_statements,
    "Sqs": endpoint_policies.default_statements,
}


@dataclass(frozen=True)
class FirewallSettings:
    allowed_domains: Sequence[str]
    alert_log_group: logs.ILogGroup
    delete_protection: bool
    endpoints: EndpointLayout


@dataclass(frozen=True)
class DnsFirewallSettings:
    allowed_domains: Sequence[str]
    own_domain: str
    managed_domain_list_ids: Sequence[str]
    threat_confidence: str


@dataclass(frozen=True)
class NetworkProps:
    name_prefix: str
    cidr: str
    availability_zones: Sequence[str]
    public_prefix_length: int
    private_prefix_length: int
    isolated_prefix_length: int
    firewall_prefix_length: int
    nat_gateways: Literal["single", "per_az"]
    flow_log_group: logs.ILogGroup
    log_archive: LogArchiveDestination
    # The organization of the data perimeter that the VPC endpoint policies enforce.
    organization_id: str
    dns_firewall: DnsFirewallSettings
    # None: no Network Firewall (private egress goes straight to the NAT gateway; no
    # environment of the committed config does this, and prod may not).
    firewall: FirewallSettings | None
    # per_az: an interface-endpoint network interface in every AZ; single_az: in the
    # first AZ only (cheaper; the other AZs reach it across zones).
    interface_endpoints: Literal["per_az", "single_az"] = "per_az"
    # Tags on the private subnets, e.g. for Karpenter's and the load balancer
    # controller's subnet discovery.
    private_subnet_tags: Mapping[str, str] = field(default_factory=dict)


class Network(Construct):
    VPC_ID: ClassVar[str] = "Vpc"

    def __init__(self, scope: Construct, construct_id: str, *, props: NetworkProps) -> None:
        super().__init__(scope, construct_id)
        azs = list(props.availability_zones)
        tiers = [
            ec2.SubnetConfiguration(
                name=PUBLIC,
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=props.public_prefix_length,
                map_public_ip_on_launch=False,
            ),
        ]
        if props.firewall is not None:
            tiers.append(
                ec2.SubnetConfiguration(
                    name=FIREWALL,
                    subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                    cidr_mask=props.firewall_prefix_length,
                )
            )
        tiers += [
            ec2.SubnetConfiguration(
                name=PRIVATE,
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                cidr_mask=props.private_prefix_length,
            ),
            ec2.SubnetConfiguration(
                name=ISOLATED,
                subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                cidr_mask=props.isolated_prefix_length,
            ),
        ]
        nat_count = len(azs) if props.nat_gateways == "per_az" else 1
        self.vpc = ec2.Vpc(
            self,
            self.VPC_ID,
            vpc_name=f"{props.name_prefix}-vpc",
            ip_addresses=ec2.IpAddresses.cidr(props.cidr),
            availability_zones=azs,
            nat_gateways=nat_count,
            nat_gateway_subnets=ec2.SubnetSelection(subnet_group_name=PUBLIC),
            subnet_configuration=tiers,
            restrict_default_security_group=True,
            enable_dns_hostnames=True,
            enable_dns_support=True,
        )
        self.public_subnets = self.vpc.select_subnets(subnet_group_name=PUBLIC).subnets
        self.private_subnets = self.vpc.select_subnets(subnet_group_name=PRIVATE).subnets
        self.isolated_subnets = self.vpc.select_subnets(subnet_group_name=ISOLATED).subnets
        for subnet in self.private_subnets:
            for key, value in props.private_subnet_tags.items():
                Tags.of(subnet).add(key, value)
        self.firewall_subnets: list[ec2.ISubnet] = (
            self.vpc.select_subnets(subnet_group_name=FIREWALL).subnets if props.firewall else []
        )

        self._flow_logs(props)
        self.firewall = self._firewall(props) if props.firewall is not None else None
        self.endpoint_security_group = self._endpoints(
            props.cidr, props.organization_id, props.interface_endpoints
        )
        dns = props.dns_firewall
        self.dns_firewall = DnsFirewall(
            self,
            "DnsFirewall",
            props=DnsFirewallProps(
                name_prefix=props.name_prefix,
                vpc=self.vpc,
                region=Stack.of(self).region,
                allowed_domains=dns.allowed_domains,
                own_domain=dns.own_domain,
                managed_domain_list_ids=dns.managed_domain_list_ids,
                threat_confidence=dns.threat_confidence,
                query_log_destination_arn=(
                    f"{props.log_archive.bucket_arn}/{props.log_archive.dns_query_logs_prefix}"
                ),
            ),
        )

    # ------------------------------------------------------------------ flow logs
    def _flow_logs(self, props: NetworkProps) -> None:
        stack = Stack.of(self)
        archive = s3.Bucket.from_bucket_arn(self, "LogArchiveBucket", props.log_archive.bucket_arn)
        to_archive = self.vpc.add_flow_log(
            "FlowLogsToArchive",
            destination=ec2.FlowLogDestination.to_s3(archive, props.log_archive.flow_logs_prefix),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            max_aggregation_interval=ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
        )
        # Parquet, Hive-style hourly partitions (Athena / Security Lake friendly). Set on
        # the L1 in the documented PascalCase: the L2 emits camelCase keys, which the
        # CloudFormation schema (and cfn-lint) reject.
        flow_log = to_archive.node.default_child
        if not isinstance(flow_log, ec2.CfnFlowLog):
            raise TypeError("expected the flow log's CfnFlowLog")
        flow_log.add_property_override(
            "DestinationOptions",
            {"FileFormat": "parquet", "HiveCompatiblePartitions": True, "PerHourPartition": True},
        )
        # Delivery role for CloudWatch Logs: a customer-managed policy scoped to the one
        # log group, trusted only by the flow-logs service of this account.
        role = iam.Role(
            self,
            "FlowLogsDeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:aws:ec2:{stack.region}:{stack.account}:vpc-flow-log/*"
                        )
                    },
                },
            ),
            description="VPC flow logs delivery to the environment's flow-log group",
        )
        policy = iam.ManagedPolicy(
            self,
            "FlowLogsDeliveryPolicy",
            description="Write VPC flow logs to one log group",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[props.flow_log_group.log_group_arn],
                )
            ],
        )
        role.add_managed_policy(policy)
        self.vpc.add_flow_log(
            "FlowLogsToCloudWatch",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                props.flow_log_group, role.without_policy_updates()
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            max_aggregation_interval=ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
        )

    # ------------------------------------------------------------------ firewall
    def _firewall(self, props: NetworkProps) -> EgressFirewall:
        assert props.firewall is not None  # noqa: S101 - narrowed by the caller
        nat_by_az: dict[str, tuple[str, ec2.ISubnet]] = {}
        for subnet in self.public_subnets:
            nat = subnet.node.try_find_child("NATGateway")
            if isinstance(nat, ec2.CfnNatGateway):
                nat_by_az[subnet.availability_zone] = (nat.ref, subnet)
        if not nat_by_az:
            raise ValueError("the egress firewall needs at least one NAT gateway")
        single = next(iter(nat_by_az.values()))
        nat_for_az = {az: nat_by_az.get(az, single) for az in props.availability_zones}
        return EgressFirewall(
            self,
            "EgressFirewall",
            props=EgressFirewallProps(
                name_prefix=props.name_prefix,
                vpc=self.vpc,
                firewall_subnets=self.firewall_subnets,
                private_subnets=self.private_subnets,
                nat_gateway_for_az={az: nat for az, (nat, _) in nat_for_az.items()},
                public_subnet_for_nat={az: subnet for az, (_, subnet) in nat_for_az.items()},
                allowed_domains=props.firewall.allowed_domains,
                alert_log_group=props.firewall.alert_log_group,
                flow_log_bucket_name=props.log_archive.bucket_name,
                flow_log_prefix=props.log_archive.network_firewall_prefix,
                delete_protection=props.firewall.delete_protection,
                region=Stack.of(self).region,
                endpoints=props.firewall.endpoints,
            ),
        )

    # ------------------------------------------------------------------ endpoints
    def _endpoints(
        self, cidr: str, organization_id: str, layout: Literal["per_az", "single_az"]
    ) -> ec2.SecurityGroup:
        region = Stack.of(self).region
        workload_subnets = ec2.SubnetSelection(
            subnets=[*self.private_subnets, *self.isolated_subnets]
        )
        self.s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[workload_subnets]
        )
        for statement in endpoint_policies.s3_statements(organization_id, region):
            self.s3_endpoint.add_to_policy(statement)
        security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            allow_all_outbound=False,
        )
        security_group.add_ingress_rule(
            ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), "HTTPS from the VPC"
        )
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        endpoint_subnets = self.private_subnets if layout == "per_az" else self.private_subnets[:1]
        for construct_id, service in INTERFACE_ENDPOINTS.items():
            self.interface_endpoints[construct_id] = self.vpc.add_interface_endpoint(
                f"{construct_id}Endpoint",
                service=service,
                private_dns_enabled=True,
                open=False,
                security_groups=[security_group],
                subnets=ec2.SubnetSelection(subnets=endpoint_subnets),
            )
            for statement in ENDPOINT_POLICY[construct_id](organization_id):
                self.interface_endpoints[construct_id].add_to_policy(statement)
        return security_group
