"""AWS Network Firewall for egress: AWS-managed threat signatures, a domain allow-list,
resolver-bypass blocking, default drop.

Endpoint layout (``network.network_firewall.endpoints`` in the environment config):

* ``per_az`` (prod): one firewall per availability zone, all sharing one policy. Each
  firewall has exactly one endpoint, so the route tables reference the endpoint of the
  same AZ deterministically (a multi-AZ firewall returns its endpoint ids in no
  guaranteed order). An AZ failure takes only that AZ's egress with it.
* ``single`` (dev, staging): one firewall, one endpoint, in the AZ of the single NAT
  gateway; every private subnet routes through it. Network Firewall is billed per
  endpoint-hour, so this is the cheapest layout that still inspects all egress.

Routing (symmetric in both layouts):

* private subnet:  0.0.0.0/0        -> the firewall endpoint serving its AZ
* firewall subnet: 0.0.0.0/0        -> NAT gateway (same AZ, or the single NAT)
* NAT's public subnet: private CIDR -> the endpoint that private subnet's egress used

The return route is right only while the public subnets hold nothing but NAT gateways
(enforced by ``tests/constructs/network/test_public_subnets.py``).

DNS is NOT filtered here: queries to the VPC's Route 53 Resolver (``.2``) never cross
the firewall. This firewall only drops DNS (and DNS over TLS) to resolvers outside the
VPC; which names may be resolved is decided by Route 53 Resolver DNS Firewall
(``dns_firewall.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_networkfirewall as nfw
from constructs import Construct

# Rule group capacity cannot change after creation: sized for growth.
DOMAIN_LIST_CAPACITY = 500
DNS_RULES_CAPACITY = 100

# AWS-managed threat-signature rule groups (deep packet inspection), the StrictOrder
# variants a STRICT_ORDER policy requires. They run before the allow-list: a pass by
# the allow-list ends evaluation, so signatures must see the flow first.
THREAT_SIGNATURE_GROUPS = (
    "ThreatSignaturesBotnetStrictOrder",
    "ThreatSignaturesBotnetWebStrictOrder",
    "ThreatSignaturesMalwareStrictOrder",
    "ThreatSignaturesExploitsStrictOrder",
)
# Strict-order priorities (unique in the policy, lowest first).
DNS_FILTERING_PRIORITY = 100
THREAT_SIGNATURES_FIRST_PRIORITY = 110
DOMAIN_ALLOW_LIST_PRIORITY = 200
# A policy's default stateful capacity (AWS Network Firewall quotas). Each managed
# group's capacity is reserved when referenced; the budget per managed group is what
# the capacity check in the tests allows for, to be compared against
# ``aws network-firewall describe-rule-group --rule-group-arn <arn>`` before the first
# deploy (AWS does not publish the figures).
POLICY_STATEFUL_CAPACITY = 30_000
MANAGED_GROUP_CAPACITY_BUDGET = 7_000

EndpointLayout = Literal["per_az", "single"]


def managed_rule_group_arn(region: str, name: str) -> str:
    return f"arn:aws:network-firewall:{region}:aws-managed:stateful-rulegroup/{name}"


# Resolver bypass: resolution must go through the VPC's Route 53 Resolver; DNS to any
# other resolver and DNS over TLS are dropped and alerted. This does not filter the
# names resolved through the VPC resolver (its traffic never reaches this firewall):
# that is DNS Firewall's job.
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
    region: str
    endpoints: EndpointLayout = "per_az"


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
            description=(
                "Strict order: resolver bypass, AWS threat signatures, domain allow-list, "
                "drop everything else"
            ),
            firewall_policy=nfw.CfnFirewallPolicy.FirewallPolicyProperty(
                stateless_default_actions=["aws:forward_to_sfe"],
                stateless_fragment_default_actions=["aws:forward_to_sfe"],
                stateful_engine_options=nfw.CfnFirewallPolicy.StatefulEngineOptionsProperty(
                    rule_order="STRICT_ORDER", stream_exception_policy="DROP"
                ),
                stateful_default_actions=["aws:drop_established", "aws:alert_established"],
                stateful_rule_group_references=[
                    nfw.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                        resource_arn=self.dns_filtering.attr_rule_group_arn,
                        priority=DNS_FILTERING_PRIORITY,
                    ),
                    *(
                        nfw.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                            resource_arn=managed_rule_group_arn(props.region, name),
                            priority=THREAT_SIGNATURES_FIRST_PRIORITY + index,
                        )
                        for index, name in enumerate(THREAT_SIGNATURE_GROUPS)
                    ),
                    nfw.CfnFirewallPolicy.StatefulRuleGroupReferenceProperty(
                        resource_arn=self.domain_allow_list.attr_rule_group_arn,
                        priority=DOMAIN_ALLOW_LIST_PRIORITY,
                    ),
                ],
            ),
        )

        # AZ -> firewall endpoint id serving it, for tests and later issues.
        self.endpoint_for_az: dict[str, str] = {}
        self.firewalls: dict[str, nfw.CfnFirewall] = {}
        pairs = list(zip(props.firewall_subnets, props.private_subnets, strict=True))
        for fw_subnet, private in pairs:
            if private.availability_zone != fw_subnet.availability_zone:
                raise ValueError("firewall and private subnets must be given in the same AZ order")
        # per_az: a firewall in every AZ; single: one, in the first AZ (the single NAT's).
        hosts = pairs if props.endpoints == "per_az" else pairs[:1]
        for index, (fw_subnet, _) in enumerate(hosts):
            az = fw_subnet.availability_zone
            suffix = az[-1]
            firewall = nfw.CfnFirewall(
                self,
                f"Firewall{index + 1}",
                firewall_name=f"{props.name_prefix}-egress-{suffix}",
                description=(
                    f"Egress inspection for {az}"
                    if props.endpoints == "per_az"
                    else f"Egress inspection for every AZ (single endpoint in {az})"
                ),
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

        single_endpoint = next(iter(self.firewalls.values()))
        for index, (fw_subnet, private) in enumerate(pairs):
            az = fw_subnet.availability_zone
            firewall = self.firewalls.get(az, single_endpoint)
            endpoint_id = Fn.select(1, Fn.split(":", Fn.select(0, firewall.attr_endpoint_ids)))
            self.endpoint_for_az[az] = endpoint_id

            # Private subnet -> firewall endpoint (replaces the NAT route CDK created).
            default_route = private.node.find_child("DefaultRoute")
            if not isinstance(default_route, ec2.CfnRoute):
                raise TypeError(f"{private.node.path} has no default route to replace")
            default_route.add_property_deletion_override("NatGatewayId")
            default_route.add_property_override("VpcEndpointId", endpoint_id)

            # Return path: the public subnet of the NAT this AZ's egress uses -> the same
            # endpoint. In the single layout, that is the one NAT and the one endpoint.
            firewall_az = next(a for a, f in self.firewalls.items() if f is firewall)
            public = props.public_subnet_for_nat[firewall_az]
            ec2.CfnRoute(
                self,
                f"PrivateSubnet{index + 1}ReturnViaFirewall",
                route_table_id=public.route_table.route_table_id,
                destination_cidr_block=private.ipv4_cidr_block,
                vpc_endpoint_id=endpoint_id,
            )
