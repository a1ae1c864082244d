"""Network stack: subnet and route layout per AZ, NAT counts, firewall routing and rules,
flow logs, endpoints and security groups, for every environment."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.network.firewall import (
    MANAGED_GROUP_CAPACITY_BUDGET,
    POLICY_STATEFUL_CAPACITY,
)
from innovate_infra.naming import Naming

from tests.helpers import (
    NetworkLayout,
    firewall_of_endpoint,
    public_subnet_intruders,
    ref,
    resources_of,
)

ENVIRONMENTS = ["dev", "staging", "prod"]
Templates = dict[str, dict[str, Any]]


@pytest.fixture(params=ENVIRONMENTS)
def env_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def layout(templates: Templates, env: str) -> NetworkLayout:
    return NetworkLayout(templates[f"innovate-{env}-network"])


def test_subnet_tiers_span_every_configured_az(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    env = platform.environment(env_name)
    net = layout(templates, env_name)
    tiers = ["public", "private", "isolated"] + (
        ["firewall"] if env.network.network_firewall.enabled else []
    )
    assert sorted({net.tier(s) for s in net.subnets}) == sorted(tiers)
    for tier in tiers:
        assert sorted(net.subnets_in(tier)) == sorted(env.availability_zones), tier
    assert len(net.subnets) == len(tiers) * len(env.availability_zones)


def test_subnet_cidrs_fit_the_vpc_and_do_not_overlap(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    env = platform.environment(env_name)
    net = layout(templates, env_name)
    [vpc] = resources_of(net.template, "AWS::EC2::VPC").values()
    assert vpc["Properties"]["CidrBlock"] == str(env.network.vpc_cidr)
    cidrs = [ipaddress.IPv4Network(net.cidr(s)) for s in net.subnets]
    assert all(c.subnet_of(env.network.vpc_cidr) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])
    prefix = env.network.subnet_prefix_lengths
    for subnet in net.subnets_in("private").values():
        assert ipaddress.IPv4Network(net.cidr(subnet)).prefixlen == prefix.private


def test_no_subnet_assigns_public_ips(templates: Templates, env_name: str) -> None:
    net = layout(templates, env_name)
    assert all(s["Properties"].get("MapPublicIpOnLaunch") is False for s in net.subnets.values())


def test_nat_gateway_count_follows_config(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    env = platform.environment(env_name)
    net = layout(templates, env_name)
    expected = {"dev": 1, "staging": 1, "prod": 3}[env_name]
    assert len(net.nat_gateways) == expected == env.nat_gateway_count
    for nat_id in net.nat_gateways:
        subnet = str(ref(net.nat_gateways[nat_id]["Properties"]["SubnetId"]))
        assert net.tier(subnet) == "public"
    if env.network.nat_gateways == "per_az":
        assert sorted(net.nat_az(n) for n in net.nat_gateways) == sorted(env.availability_zones)


def test_public_subnets_route_to_the_internet_gateway(templates: Templates, env_name: str) -> None:
    net = layout(templates, env_name)
    for subnet in net.subnets_in("public").values():
        route = net.default_route(subnet)
        assert route is not None
        assert "GatewayId" in route


def test_isolated_subnets_have_no_internet_route(templates: Templates, env_name: str) -> None:
    net = layout(templates, env_name)
    for subnet in net.subnets_in("isolated").values():
        assert net.default_route(subnet) is None
        assert all("NatGatewayId" not in r and "GatewayId" not in r for r in net.routes_of(subnet))


def firewall_serving(net: NetworkLayout, private_subnet: str) -> str:
    """The firewall whose endpoint a private subnet's default route points at."""
    route = net.default_route(private_subnet)
    assert route is not None
    assert "NatGatewayId" not in route
    assert "GatewayId" not in route
    firewall = firewall_of_endpoint(route["VpcEndpointId"])
    assert firewall is not None
    return firewall


def test_firewall_endpoint_layout_follows_config(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    """Item 10: one endpoint per AZ in prod; one endpoint serving every AZ in dev and
    staging (in the AZ of their single NAT gateway)."""
    env = platform.environment(env_name)
    net = layout(templates, env_name)
    expected = {"dev": "single", "staging": "single", "prod": "per_az"}[env_name]
    assert env.network.network_firewall.enabled
    assert env.network.network_firewall.endpoints == expected
    served = {az: firewall_serving(net, s) for az, s in net.subnets_in("private").items()}
    if expected == "per_az":
        assert len(net.firewalls) == len(env.availability_zones)
        assert all(net.firewall_az(f) == az for az, f in served.items())
    else:
        [firewall] = net.firewalls
        assert set(served.values()) == {firewall}
        [nat] = net.nat_gateways
        assert net.firewall_az(firewall) == net.nat_az(nat)


def test_firewall_subnets_egress_through_the_nat_gateway(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    net = layout(templates, env_name)
    env = platform.environment(env_name)
    hosting = {net.firewall_az(f) for f in net.firewalls}
    for az, subnet in net.subnets_in("firewall").items():
        route = net.default_route(subnet)
        if az not in hosting:
            # An unused firewall subnet (single layout) has no way out.
            assert net.routes_of(subnet) == []
            continue
        assert route is not None
        nat_id = ref(route["NatGatewayId"])
        assert nat_id in net.nat_gateways
        if env.network.nat_gateways == "per_az":
            assert net.nat_az(str(nat_id)) == az


def test_return_traffic_is_symmetric(templates: Templates, env_name: str) -> None:
    """Follow each private subnet's egress: its default route's firewall, that firewall
    subnet's NAT gateway, and the NAT's public subnet, which must send replies for the
    private CIDR back through the same firewall."""
    net = layout(templates, env_name)
    for az, private in net.subnets_in("private").items():
        firewall = firewall_serving(net, private)
        [mapping] = net.firewalls[firewall]["Properties"]["SubnetMappings"]
        route = net.default_route(str(ref(mapping["SubnetId"])))
        assert route is not None
        egress_nat = str(ref(route["NatGatewayId"]))
        nat_subnet = str(ref(net.nat_gateways[egress_nat]["Properties"]["SubnetId"]))
        returns = [
            r
            for r in net.routes_of(nat_subnet)
            if r.get("DestinationCidrBlock") == net.cidr(private)
        ]
        assert len(returns) == 1, f"no return route for {az}"
        assert firewall_of_endpoint(returns[0]["VpcEndpointId"]) == firewall


def test_firewall_policy_is_strict_order_with_default_drop(
    templates: Templates, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    [policy] = resources_of(template, "AWS::NetworkFirewall::FirewallPolicy").values()
    body = policy["Properties"]["FirewallPolicy"]
    assert body["StatefulEngineOptions"]["RuleOrder"] == "STRICT_ORDER"
    assert "aws:drop_established" in body["StatefulDefaultActions"]
    assert "aws:alert_established" in body["StatefulDefaultActions"]
    assert body["StatelessDefaultActions"] == ["aws:forward_to_sfe"]
    for firewall in resources_of(template, "AWS::NetworkFirewall::Firewall").values():
        assert ref(firewall["Properties"]["FirewallPolicyArn"]) in resources_of(
            template, "AWS::NetworkFirewall::FirewallPolicy"
        )


def test_firewall_runs_aws_threat_signatures_before_the_allow_list(
    templates: Templates, env_name: str
) -> None:
    """Item 10: deep packet inspection by AWS-managed threat signatures (the StrictOrder
    variants a strict-order policy accepts), each at a unique priority, all before the
    allow-list (a pass there ends evaluation), within the policy's capacity."""
    template = templates[f"innovate-{env_name}-network"]
    [policy] = resources_of(template, "AWS::NetworkFirewall::FirewallPolicy").values()
    references = policy["Properties"]["FirewallPolicy"]["StatefulRuleGroupReferences"]
    priorities = [r["Priority"] for r in references]
    assert len(set(priorities)) == len(priorities)
    managed = {
        r["ResourceArn"].rsplit("/", 1)[1]: r["Priority"]
        for r in references
        if isinstance(r["ResourceArn"], str)
    }
    prefix = "arn:aws:network-firewall:eu-west-1:aws-managed:stateful-rulegroup/"
    assert all(
        r["ResourceArn"].startswith(prefix) for r in references if isinstance(r["ResourceArn"], str)
    )
    assert {
        "ThreatSignaturesBotnetStrictOrder",
        "ThreatSignaturesBotnetWebStrictOrder",
        "ThreatSignaturesMalwareStrictOrder",
        "ThreatSignaturesExploitsStrictOrder",
    } <= set(managed)
    assert all(name.endswith("StrictOrder") for name in managed)
    own = resources_of(template, "AWS::NetworkFirewall::RuleGroup")
    by_group = {ref(r["ResourceArn"]): r["Priority"] for r in references if ref(r["ResourceArn"])}
    allow_list = next(
        g for g in own if "RulesSourceList" in own[g]["Properties"]["RuleGroup"]["RulesSource"]
    )
    assert max(managed.values()) < by_group[allow_list]
    # Capacity: our groups' declared capacity plus a budget per managed group.
    used = sum(g["Properties"]["Capacity"] for g in own.values())
    assert used + len(managed) * MANAGED_GROUP_CAPACITY_BUDGET <= POLICY_STATEFUL_CAPACITY


def passes_allow_list(targets: list[str], host: str) -> bool:
    """Network Firewall's domain-list semantics (ALLOWLIST on TLS SNI / HTTP Host): a
    target with a leading dot matches the domain and every subdomain; any other target
    matches exactly that host."""
    host = host.lower()
    for target in targets:
        if target.startswith("."):
            if host == target[1:] or host.endswith(target):
                return True
        elif host == target:
            return True
    return False


# What the workloads reach through NAT (not through an endpoint), written out here,
# independently of organization.yaml.
MUST_PASS = [
    "api.ecr.eu-west-1.amazonaws.com",
    "prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com",
    "prod-registry-k8s-io-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com",
    "sts.eu-west-1.amazonaws.com",
    "secretsmanager.eu-west-1.amazonaws.com",
    "public.ecr.aws",
    "registry.k8s.io",
    "quay.io",
    "ghcr.io",
    "pkg-containers.githubusercontent.com",
    "aws.github.io",
    "prometheus-community.github.io",
]
# Exfiltration targets the allow-list once admitted (item 6) and other lookalikes.
MUST_NOT_PASS = [
    "attacker-bucket.s3.eu-west-1.amazonaws.com",
    "s3.eu-west-1.amazonaws.com",
    "anything.s3.eu-west-1.amazonaws.com",
    "us-docker.pkg.dev",
    "attacker-project.europe-west1-docker.pkg.dev",
    "evil.github.io",
    "raw.githubusercontent.com",
    "example.com",
    "registry.k8s.io.attacker.com",
    "api.ecr.us-east-1.amazonaws.com",
    # Registries of any account: served by the ECR Docker endpoint (its policy is the
    # perimeter), never through NAT.
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
]


def test_firewall_domain_allow_list_admits_what_workloads_need_and_no_more(
    templates: Templates, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    groups = resources_of(template, "AWS::NetworkFirewall::RuleGroup")
    [allow] = [
        g
        for g in groups.values()
        if "RulesSourceList" in g["Properties"]["RuleGroup"]["RulesSource"]
    ]
    source = allow["Properties"]["RuleGroup"]["RulesSource"]["RulesSourceList"]
    assert source["GeneratedRulesType"] == "ALLOWLIST"
    assert sorted(source["TargetTypes"]) == ["HTTP_HOST", "TLS_SNI"]
    targets = source["Targets"]
    for host in MUST_PASS:
        assert passes_allow_list(targets, host), host
    for host in MUST_NOT_PASS:
        assert not passes_allow_list(targets, host), host
    # No wildcard over a suffix where anyone can own names: every "*.amazonaws.com"
    # wildcard (buckets, registries, API gateways of any account) and the shared hosting
    # domains.
    for target in targets:
        if target.startswith("."):
            assert not target.endswith(".amazonaws.com"), target
            assert target not in (".pkg.dev", ".github.io", ".githubusercontent.com"), target


def test_firewall_drops_resolver_bypass(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-network"]
    groups = resources_of(template, "AWS::NetworkFirewall::RuleGroup")
    [dns] = [
        g for g in groups.values() if "RulesString" in g["Properties"]["RuleGroup"]["RulesSource"]
    ]
    rules = dns["Properties"]["RuleGroup"]["RulesSource"]["RulesString"]
    assert "drop dns $HOME_NET any -> $EXTERNAL_NET any" in rules
    assert "$EXTERNAL_NET 853" in rules
    assert "$EXTERNAL_NET 53" in rules


def test_firewall_logs_alerts_and_flows(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    configs = resources_of(template, "AWS::NetworkFirewall::LoggingConfiguration")
    assert len(configs) == len(resources_of(template, "AWS::NetworkFirewall::Firewall"))
    bucket = naming.log_bucket_name("flowlogs")
    for config in configs.values():
        destinations = {
            d["LogType"]: d
            for d in config["Properties"]["LoggingConfiguration"]["LogDestinationConfigs"]
        }
        assert destinations["ALERT"]["LogDestinationType"] == "CloudWatchLogs"
        assert destinations["FLOW"]["LogDestinationType"] == "S3"
        assert destinations["FLOW"]["LogDestination"]["bucketName"] == bucket
        assert destinations["FLOW"]["LogDestination"]["prefix"] == f"network-firewall/{env_name}"


def test_flow_logs_go_to_the_archive_bucket_and_cloudwatch(
    templates: Templates, platform: PlatformConfig, naming: Naming, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    flow_logs = resources_of(template, "AWS::EC2::FlowLog")
    by_type = {f["Properties"]["LogDestinationType"]: f["Properties"] for f in flow_logs.values()}
    assert sorted(by_type) == ["cloud-watch-logs", "s3"]
    assert all(p["TrafficType"] == "ALL" for p in by_type.values())
    archive = platform.accounts.log_archive
    s3 = by_type["s3"]
    bucket_arn = f"arn:aws:s3:::{naming.log_bucket_name('flowlogs')}"
    assert s3["LogDestination"] == f"{bucket_arn}/{archive.flow_logs_prefix}/{env_name}"
    assert s3["DestinationOptions"] == {
        "FileFormat": "parquet",
        "HiveCompatiblePartitions": True,
        "PerHourPartition": True,
    }
    cloudwatch = by_type["cloud-watch-logs"]
    assert "DeliverLogsPermissionArn" in cloudwatch
    # The log group comes from the stateful logging stack of the same environment.
    assert cloudwatch["LogGroupName"]["Fn::ImportValue"].startswith(f"innovate-{env_name}-logging:")


def test_vpc_endpoints(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-network"]
    endpoints = resources_of(template, "AWS::EC2::VPCEndpoint").values()
    services = sorted(
        str(e["Properties"]["ServiceName"]).replace("com.amazonaws.eu-west-1.", "")
        if isinstance(e["Properties"]["ServiceName"], str)
        else "s3"
        for e in endpoints
    )
    assert services == sorted(
        [
            "s3",
            "ecr.api",
            "ecr.dkr",
            "sts",
            "secretsmanager",
            "logs",
            "kms",
            # The cluster's (issue #9): tests/stacks/environment/test_cluster_egress.py.
            "ec2",
            "eks",
            "eks-auth",
            "ssm",
            "ssmmessages",
            "ec2messages",
            "elasticloadbalancing",
            "autoscaling",
            "sqs",
        ]
    )
    for endpoint in endpoints:
        props = endpoint["Properties"]
        if props.get("VpcEndpointType") == "Interface":
            assert props["PrivateDnsEnabled"] is True
        else:
            assert props["VpcEndpointType"] == "Gateway"


def test_default_security_group_is_locked(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-network"]
    [restrict] = resources_of(template, "Custom::VpcRestrictDefaultSG").values()
    assert restrict["Properties"]["DefaultSecurityGroupId"] == {
        "Fn::GetAtt": [next(iter(resources_of(template, "AWS::EC2::VPC"))), "DefaultSecurityGroup"]
    }


def _open_to_world(rule: dict[str, Any]) -> bool:
    return rule.get("CidrIp") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0"


# The one group with egress to anywhere, and only on 443: the deploy runner (CodeBuild in
# the private subnets) reaches S3 through the gateway endpoint (S3's public prefix list,
# which CloudFormation cannot look up) and CodeBuild through NAT, where the Network
# Firewall's allow-list decides where HTTPS may go.
WORLD_EGRESS_443 = ("DeployRunnerSecurityGroup",)


def test_no_security_group_is_open_to_the_world(templates: Templates) -> None:
    checked = 0
    for name, template in templates.items():
        for sg_id, sg in resources_of(template, "AWS::EC2::SecurityGroup").items():
            checked += 1
            for rule in sg["Properties"].get("SecurityGroupIngress", []):
                assert not _open_to_world(rule), f"{name}/{sg_id} ingress {rule}"
            for rule in sg["Properties"].get("SecurityGroupEgress", []):
                if sg_id.startswith(WORLD_EGRESS_443) and name.endswith("-cluster"):
                    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == (
                        "tcp", 443, 443,
                    ), f"{name}/{sg_id} egress {rule}"  # fmt: skip
                    continue
                assert not _open_to_world(rule), f"{name}/{sg_id} egress {rule}"
        for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            for rule_id, rule in resources_of(template, kind).items():
                assert not _open_to_world(rule["Properties"]), f"{name}/{rule_id}"
    assert checked >= 3


def test_endpoint_security_group_admits_https_from_the_vpc_only(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    [sg] = resources_of(template, "AWS::EC2::SecurityGroup").values()
    [ingress] = sg["Properties"]["SecurityGroupIngress"]
    assert ingress["CidrIp"] == str(platform.environment(env_name).network.vpc_cidr)
    assert (ingress["FromPort"], ingress["ToPort"], ingress["IpProtocol"]) == (443, 443, "tcp")


def test_public_subnets_hold_only_nat_gateways(templates: Templates, env_name: str) -> None:
    """Item 15: the return routes (private CIDR -> firewall) of the public subnets are
    right only while nothing but NAT gateways lives there; an ALB, an instance or an
    interface endpoint there would see asymmetric, uninspected traffic."""
    net = layout(templates, env_name)
    assert net.subnets_in("public")
    assert public_subnet_intruders(net.template) == []
    # Nor may another stack place anything there: no public subnet is exported.
    for name, template in templates.items():
        if name.startswith(f"innovate-{env_name}-") and name != f"innovate-{env_name}-network":
            assert "PublicSubnet" not in json.dumps(template), name


def dns_firewall_of(template: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    [group] = resources_of(template, "AWS::Route53Resolver::FirewallRuleGroup").values()
    lists = {
        lid: resource["Properties"]["Domains"]
        for lid, resource in resources_of(
            template, "AWS::Route53Resolver::FirewallDomainList"
        ).items()
    }
    rules = sorted(group["Properties"]["FirewallRules"], key=lambda r: r["Priority"])
    return rules, lists


def dns_domain_matches(pattern: str, name: str) -> bool:
    """DNS Firewall domain syntax: an optional leading ``*`` matches any labels."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return name == pattern


def dns_verdict(template: dict[str, Any], name: str) -> str:
    """What DNS Firewall does with a (benign, non-tunnelling) query: the first rule, by
    priority, whose domain list matches."""
    rules, lists = dns_firewall_of(template)
    for rule in rules:
        if "DnsThreatProtection" in rule:
            continue  # AWS's classifier; benign names are not tunnels
        list_id = ref(rule["FirewallDomainListId"]) or rule["FirewallDomainListId"]
        domains = lists.get(str(list_id), [])
        if any(dns_domain_matches(d, name) for d in domains):
            return str(rule["Action"])
    return "NO MATCH"


def test_dns_firewall_filters_what_the_vpc_resolves(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    """Item 7: the VPC resolver answers only for the workloads' names."""
    template = templates[f"innovate-{env_name}-network"]
    env = platform.environment(env_name)
    for allowed in (
        "sts.eu-west-1.amazonaws.com",
        "vpce-0123-abcd.kms.eu-west-1.vpce.amazonaws.com",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "ip-10-20-1-5.eu-west-1.compute.internal",
        "registry.k8s.io",
        "quay.io",
        "cdn01.quay.io",
        "public.ecr.aws",
        env.domain_name,
        f"api.{env.domain_name}",
    ):
        assert dns_verdict(template, allowed) == "ALLOW", allowed
    for blocked in (
        "exfil-0a1b2c.attacker.example",
        "us-docker.pkg.dev",
        "evil.github.io",
        "amazonaws.com.attacker.example",
        "google.com",
    ):
        assert dns_verdict(template, blocked) == "BLOCK", blocked
    rules, _ = dns_firewall_of(template)
    threat = [r for r in rules if "DnsThreatProtection" in r]
    assert sorted(r["DnsThreatProtection"] for r in threat) == ["DGA", "DNS_TUNNELING"]
    assert all(r["Action"] == "BLOCK" for r in threat)
    # Threat protection first: an allow-listed domain cannot carry a tunnel.
    allow = next(r for r in rules if r["Action"] == "ALLOW")
    assert max(r["Priority"] for r in threat) < allow["Priority"]
    assert rules[-1]["Action"] == "BLOCK"
    assert dns_firewall_of(template)[1][str(ref(rules[-1]["FirewallDomainListId"]))] == ["*"]


def test_dns_firewall_is_associated_and_logged(
    templates: Templates, naming: Naming, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    [vpc_id] = resources_of(template, "AWS::EC2::VPC")
    [association] = resources_of(
        template, "AWS::Route53Resolver::FirewallRuleGroupAssociation"
    ).values()
    props = association["Properties"]
    assert ref(props["VpcId"]) == vpc_id
    assert 100 < props["Priority"] < 9900
    assert props["MutationProtection"] == "ENABLED"
    [query_logging] = resources_of(
        template, "AWS::Route53Resolver::ResolverQueryLoggingConfig"
    ).values()
    bucket = naming.log_bucket_name("flowlogs")
    assert query_logging["Properties"]["DestinationArn"] == (
        f"arn:aws:s3:::{bucket}/dns-query-logs/{env_name}"
    )
    [logged] = resources_of(
        template, "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation"
    ).values()
    assert ref(logged["Properties"]["ResourceId"]) == vpc_id
    # Fail closed (AWS's default): nothing in the template switches DNS Firewall open.
    assert "FirewallFailOpen" not in json.dumps(template)
