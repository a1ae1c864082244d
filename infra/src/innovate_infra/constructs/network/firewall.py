"""AWS Network Firewall for egress: domain allow-list, DNS filtering, default drop.

One firewall per availability zone, all sharing one firewall policy. Each firewall
therefore has exactly one endpoint, so the route tables can reference the endpoint
of the same AZ deterministically (a multi-AZ firewall returns its endpoint ids in no
guaranteed order). Cost is the same: Network Firewall is billed per endpoint.

Routing (per AZ, symmetric):

* private subnet:  0.0.0.0/0      -> firewall endpoint of the same AZ
* firewall subnet: 0.0.0.0/0      -> NAT gateway (same AZ, or the single NAT)
* NAT's public subnet: private CIDR -> firewall endpoint of the private subnet's AZ
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_networkfirewall as nfw
from constructs import Construct

# Rule group capacity cannot change after creation: sized for growth.
DOMAIN_LIST_CAPACITY = 500
DNS_RULES_CAPACITY = 100

# DNS filtering: resolution must go through the VPC's Route 53 Resolver (which does
# not cross the firewall); DNS to any other resolver and DNS-over-TLS are dropped
# and alerted, closing DNS tunnelling and resolver bypass.
DNS_FILTERING_RULES = "\n".join(
    [
        'drop dns $HOME_NET any -> $EXTERNAL_NET any (msg:"DNS query to a resolver outside VPC";'
        " sid:1000001; rev:1;)",
        'drop tcp $HOME_NET any -> $EXTERNAL_NET 853 (msg:"DNS over TLS to an external resolver";'
        " flow:to_server; sid:1000002; rev:1;)",
        'drop udp $HOME_NET any -> $EXTERNAL_NET 53 (msg:"UDP/53 to an external resolver";'
        " sid:1000003; rev:1;)",
        'drop tcp $HOME_NET any -> $EXTERNAL_NET 53 (msg:"TCP/53 to an external resolver";'
        " flow:to_server; sid:1000004; rev:1;)",
    ]
)


@dataclass(frozen=True)
class EgressFirewallProps:
    name_prefix: str
    vpc: ec2.IVpc
    firewall_subnets: Sequence[ec2.ISubnet]
    private_subnets: Sequence[ec2.ISubnet]
    # Availability zone -> NAT gateway id that the AZ's egress uses.
    nat_gateway_for_az: Mapping[str, str]
    # Availability zone -> the route table of the public subnet holding that NAT gateway.
    public_subnet_for_nat: Mapping[str, ec2.ISubnet]
    allowed_domains: Sequence[str]
    alert_log_group: logs.ILogGroup
    flow_log_bucket_name: str
    flow_log_prefix: str
    delete_protection: bool


class EgressFirewall(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: EgressFirewallProps) -> None:
        super().__init__(scope, construct_id)
        if len(props.firewall_subnets) != len(props.private_subnets):
            raise ValueError("one firewall subnet per private subnet (per AZ) is required")

        strict = nfw.CfnRuleGroup.StatefulRuleOptionsProperty(rule_order="STRICT_ORDER")
        self.domain_allow_list = nfw.CfnRuleGroup(
            self,
            "DomainAllowList",
            rule_group_name=f"{props.name_prefix}-egress-domains",
            description="Egress allow-list by TLS SNI and HTTP Host; everything else is dropped",
            type="STATEFUL",
            capacity=DOMAIN_LIST_CAPACITY,
            rule_group=nfw.CfnRuleGroup.RuleGroupProperty(
                stateful_rule_options=strict,
                rules_source=nfw.CfnRuleGroup.RulesSourceProperty(
                    rules_source_list=nfw.CfnRuleGroup.RulesSourceListProperty(
                        generated_rules_type="ALLOWLIST",
                        target_types=["TLS_SNI", "HTTP_HOST"],
                        targets=list(props.allowed_domains),
                    )
                ),
            ),
        )
        self.dns_filtering = nfw.CfnRuleGroup(
            self,
            "DnsFiltering",
            rule_group_name=f"{props.name_prefix}-dns-filtering",
            description="Only the VPC Route 53 Resolver may resolve names",
            type="STATEFUL",
            capacity=DNS_RULES_CAPACITY,
            rule_group=nfw.CfnRuleGroup.RuleGroupProperty(
                stateful_rule_options=strict,
                rules_source=nfw.CfnRuleGroup.RulesSourceProperty(rules_string=DNS_FILTERING_RULES),
            ),
        )
        self.policy = nfw.CfnFirewallPolicy(
            self,
            "Policy",
            firewall_policy_name=f"{props.name_prefix}-egress",
            description="Strict order: DNS filtering, domain allow-list, drop everything else",
            firewall_policy=nfw.CfnFirewallPolicy.FirewallPolicyProperty(
                stateless_default_actions=["aws:forward_to_sfe"],
                stateless_fragment_default_actions=["aws:forward_to_sfe"],
                stateful_engine_options=nfw.CfnFirewallPolicy.StatefulEngineOptionsProperty(
                    rule_order="STRICT_ORDER", stream_exception_policy="DROP"
                ),
                stateful_default_actions=["aws:drop_established", "aws:alert_established"],
                stateful_rule_group_references=[
                    nfw.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                        resource_arn=self.dns_filtering.attr_rule_group_arn, priority=100
                    ),
                    nfw.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                        resource_arn=self.domain_allow_list.attr_rule_group_arn, priority=200
                    ),
                ],
            ),
        )

        # AZ -> firewall endpoint id, for tests and later issues.
        self.endpoint_for_az: dict[str, str] = {}
        self.firewalls: dict[str, nfw.CfnFirewall] = {}
        for index, (fw_subnet, private) in enumerate(
            zip(props.firewall_subnets, props.private_subnets, strict=True)
        ):
            az = fw_subnet.availability_zone
            if private.availability_zone != az:
                raise ValueError("firewall and private subnets must be given in the same AZ order")
            suffix = az[-1]
            firewall = nfw.CfnFirewall(
                self,
                f"Firewall{index + 1}",
                firewall_name=f"{props.name_prefix}-egress-{suffix}",
                description=f"Egress inspection for {az}",
                firewall_policy_arn=self.policy.attr_firewall_policy_arn,
                vpc_id=props.vpc.vpc_id,
                subnet_mappings=[
                    nfw.CfnFirewall.SubnetMappingProperty(subnet_id=fw_subnet.subnet_id)
                ],
                delete_protection=props.delete_protection,
                firewall_policy_change_protection=False,
                subnet_change_protection=True,
            )
            nfw.CfnLoggingConfiguration(
                self,
                f"Logging{index + 1}",
                firewall_arn=firewall.attr_firewall_arn,
                logging_configuration=nfw.CfnLoggingConfiguration.LoggingConfigurationProperty(
                    log_destination_configs=[
                        nfw.CfnLoggingConfiguration.LogDestinationConfigProperty(
                            log_type="ALERT",
                            log_destination_type="CloudWatchLogs",
                            log_destination={"logGroup": props.alert_log_group.log_group_name},
                        ),
                        nfw.CfnLoggingConfiguration.LogDestinationConfigProperty(
                            log_type="FLOW",
                            log_destination_type="S3",
                            log_destination={
                                "bucketName": props.flow_log_bucket_name,
                                "prefix": props.flow_log_prefix,
                            },
                        ),
                    ]
                ),
            )
            endpoint_id = Fn.select(1, Fn.split(":", Fn.select(0, firewall.attr_endpoint_ids)))
            self.endpoint_for_az[az] = endpoint_id
            self.firewalls[az] = firewall

            # Firewall subnet -> NAT gateway.
            fw_route = ec2.CfnRoute(
                self,
                f"FirewallSubnet{index + 1}EgressViaNat",
                route_table_id=fw_subnet.route_table.route_table_id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=props.nat_gateway_for_az[az],
            )
            fw_route.node.add_dependency(firewall)

            # Private subnet -> firewall endpoint (replaces the NAT route CDK created).
            default_route = private.node.find_child("DefaultRoute")
            if not isinstance(default_route, ec2.CfnRoute):
                raise TypeError(f"{private.node.path} has no default route to replace")
            default_route.add_property_deletion_override("NatGatewayId")
            default_route.add_property_override("VpcEndpointId", endpoint_id)

            # Return path: NAT's public subnet -> this AZ's firewall endpoint.
            public = props.public_subnet_for_nat[az]
            ec2.CfnRoute(
                self,
                f"PrivateSubnet{index + 1}ReturnViaFirewall",
                route_table_id=public.route_table.route_table_id,
                destination_cidr_block=private.ipv4_cidr_block,
                vpc_endpoint_id=endpoint_id,
            )
