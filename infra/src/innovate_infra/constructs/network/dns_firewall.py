"""Route 53 Resolver DNS Firewall on the environment VPC, and Resolver query logging.

Every DNS query from the VPC goes to the VPC's Route 53 Resolver, which never crosses
Network Firewall; this is what filters names. Rules, lowest priority first:

1. AWS-managed threat protection (DNS Firewall Advanced): BLOCK queries AWS classifies
   as DNS tunnelling or as domain-generation-algorithm names, whatever the domain, so
   even an allow-listed domain cannot carry a tunnel;
2. BLOCK the AWS-managed threat domain lists configured for the region (their ids are
   per region and CloudFormation has no lookup, see ``managed_domain_list_ids``);
3. ALLOW (trusting the CNAME chain of) the workloads' names: the egress allow-list,
   the AWS service and VPC-endpoint names (``*.amazonaws.com``), EC2 internal names
   (``*.<region>.compute.internal``) and the environment's own domain;
4. BLOCK everything else (``*``) with NXDOMAIN.

Failure mode: closed (AWS's default, ``FirewallFailOpen`` DISABLED): if DNS Firewall
does not answer, the Resolver returns SERVFAIL. Security over availability, in every
environment; no custom resource is needed because it is the default.

Query logs go to the log archive's network-log bucket (``delivery.logs.amazonaws.com``,
admitted by the archive's bucket policy for this organization's accounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53resolver as resolver
from constructs import Construct

# Association priority: AWS accepts 101-9899 (100 and 9900 are reserved).
ASSOCIATION_PRIORITY = 101
THREAT_PROTECTIONS = ("DNS_TUNNELING", "DGA")
ALLOW_PRIORITY = 1000
BLOCK_ALL_PRIORITY = 9000


def dns_names(egress_domains: Sequence[str]) -> list[str]:
    """Network Firewall targets as DNS Firewall domains: ``.example.com`` (the domain and
    its subdomains) becomes ``example.com`` and ``*.example.com``."""
    names: list[str] = []
    for domain in egress_domains:
        if domain.startswith("."):
            names += [domain[1:], f"*{domain}"]
        else:
            names.append(domain)
    return list(dict.fromkeys(names))


def aws_names(region: str) -> list[str]:
    """What every workload resolves besides the egress allow-list: AWS APIs and the VPC
    endpoints' private DNS names, and EC2's internal host names."""
    return [
        "amazonaws.com",
        "*.amazonaws.com",
        f"{region}.compute.internal",
        f"*.{region}.compute.internal",
    ]


@dataclass(frozen=True)
class DnsFirewallProps:
    name_prefix: str
    vpc: ec2.IVpc
    region: str
    allowed_domains: Sequence[str]
    """The egress allow-list (Network Firewall syntax); AWS names are added here."""
    own_domain: str
    managed_domain_list_ids: Sequence[str]
    threat_confidence: str
    query_log_destination_arn: str


class DnsFirewall(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: DnsFirewallProps) -> None:
        super().__init__(scope, construct_id)
        self.allowed = [
            *aws_names(props.region),
            props.own_domain,
            f"*.{props.own_domain}",
            *dns_names(props.allowed_domains),
        ]
        self.allowed = list(dict.fromkeys(self.allowed))
        allow_list = resolver.CfnFirewallDomainList(
            self,
            "AllowedDomains",
            name=f"{props.name_prefix}-dns-allowed",
            domains=self.allowed,
        )
        block_all = resolver.CfnFirewallDomainList(
            self, "AllDomains", name=f"{props.name_prefix}-dns-all", domains=["*"]
        )
        rules: list[resolver.CfnFirewallRuleGroup.FirewallRuleProperty] = [
            resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                action="BLOCK",
                block_response="NXDOMAIN",
                dns_threat_protection=protection,
                confidence_threshold=props.threat_confidence,
                priority=10 + index,
            )
            for index, protection in enumerate(THREAT_PROTECTIONS)
        ]
        rules += [
            resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                action="BLOCK",
                block_response="NXDOMAIN",
                firewall_domain_list_id=list_id,
                priority=100 + index,
            )
            for index, list_id in enumerate(props.managed_domain_list_ids)
        ]
        rules += [
            resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                action="ALLOW",
                firewall_domain_list_id=allow_list.attr_id,
                priority=ALLOW_PRIORITY,
                # Registries and AWS names answer with CNAMEs to CDNs and load balancers
                # (public.ecr.aws, quay.io); an allowed name's chain is trusted, and rule 1
                # still inspects every query for tunnelling.
                firewall_domain_redirection_action="TRUST_REDIRECTION_DOMAIN",
            ),
            resolver.CfnFirewallRuleGroup.FirewallRuleProperty(
                action="BLOCK",
                block_response="NXDOMAIN",
                firewall_domain_list_id=block_all.attr_id,
                priority=BLOCK_ALL_PRIORITY,
            ),
        ]
        self.rule_group = resolver.CfnFirewallRuleGroup(
            self, "RuleGroup", name=f"{props.name_prefix}-dns-firewall", firewall_rules=rules
        )
        self.association = resolver.CfnFirewallRuleGroupAssociation(
            self,
            "Association",
            name=f"{props.name_prefix}-dns-firewall",
            firewall_rule_group_id=self.rule_group.attr_id,
            vpc_id=props.vpc.vpc_id,
            priority=ASSOCIATION_PRIORITY,
            mutation_protection="ENABLED",
        )
        self.query_logging = resolver.CfnResolverQueryLoggingConfig(
            self,
            "QueryLogging",
            name=f"{props.name_prefix}-dns-queries",
            destination_arn=props.query_log_destination_arn,
        )
        resolver.CfnResolverQueryLoggingConfigAssociation(
            self,
            "QueryLoggingAssociation",
            resolver_query_log_config_id=self.query_logging.attr_id,
            resource_id=props.vpc.vpc_id,
        )
