"""Network stack: subnet and route layout per AZ, NAT counts, firewall routing and rules,
flow logs, endpoints and security groups, for every environment."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.helpers import NetworkLayout, firewall_of_endpoint, ref, resources_of

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


def test_dev_private_egress_goes_straight_to_its_nat_gateway(templates: Templates) -> None:
    net = layout(templates, "dev")
    assert not net.firewalls
    [nat_id] = net.nat_gateways
    for subnet in net.subnets_in("private").values():
        route = net.default_route(subnet)
        assert route is not None
        assert ref(route["NatGatewayId"]) == nat_id


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_private_egress_passes_the_firewall_endpoint_of_the_same_az(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    net = layout(templates, env_name)
    env = platform.environment(env_name)
    assert len(net.firewalls) == len(env.availability_zones)
    assert sorted(net.firewall_az(f) for f in net.firewalls) == sorted(env.availability_zones)
    for az, subnet in net.subnets_in("private").items():
        route = net.default_route(subnet)
        assert route is not None
        assert "NatGatewayId" not in route
        assert "GatewayId" not in route
        firewall = firewall_of_endpoint(route["VpcEndpointId"])
        assert firewall is not None
        assert net.firewall_az(firewall) == az


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_firewall_subnets_egress_through_the_nat_gateway(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    net = layout(templates, env_name)
    env = platform.environment(env_name)
    for az, subnet in net.subnets_in("firewall").items():
        route = net.default_route(subnet)
        assert route is not None
        nat_id = ref(route["NatGatewayId"])
        assert nat_id in net.nat_gateways
        if env.network.nat_gateways == "per_az":
            assert net.nat_az(str(nat_id)) == az


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_return_traffic_is_symmetric(templates: Templates, env_name: str) -> None:
    """The NAT's public subnet sends replies for each private CIDR back through the
    firewall endpoint in the private subnet's AZ (the one its egress used)."""
    net = layout(templates, env_name)
    for az, private in net.subnets_in("private").items():
        egress_nat = None
        for fw_subnet_az, fw_subnet in net.subnets_in("firewall").items():
            if fw_subnet_az == az:
                route = net.default_route(fw_subnet)
                assert route is not None
                egress_nat = str(ref(route["NatGatewayId"]))
        assert egress_nat is not None
        nat_subnet = str(ref(net.nat_gateways[egress_nat]["Properties"]["SubnetId"]))
        returns = [
            r
            for r in net.routes_of(nat_subnet)
            if r.get("DestinationCidrBlock") == net.cidr(private)
        ]
        assert len(returns) == 1, f"no return route for {az}"
        firewall = firewall_of_endpoint(returns[0]["VpcEndpointId"])
        assert firewall is not None
        assert net.firewall_az(firewall) == az


@pytest.mark.parametrize("env_name", ["staging", "prod"])
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
    assert len(body["StatefulRuleGroupReferences"]) == 2
    for firewall in resources_of(template, "AWS::NetworkFirewall::Firewall").values():
        assert ref(firewall["Properties"]["FirewallPolicyArn"]) in resources_of(
            template, "AWS::NetworkFirewall::FirewallPolicy"
        )


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_firewall_domain_allow_list_and_dns_filtering(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-network"]
    groups = resources_of(template, "AWS::NetworkFirewall::RuleGroup")
    lists = [
        g
        for g in groups.values()
        if "RulesSourceList" in g["Properties"]["RuleGroup"]["RulesSource"]
    ]
    [allow] = lists
    source = allow["Properties"]["RuleGroup"]["RulesSource"]["RulesSourceList"]
    assert source["GeneratedRulesType"] == "ALLOWLIST"
    assert sorted(source["TargetTypes"]) == ["HTTP_HOST", "TLS_SNI"]
    assert source["Targets"] == platform.allowed_domains(platform.environment(env_name))
    region = platform.environment(env_name).region
    for required in (
        f"api.ecr.{region}.amazonaws.com",
        f".dkr.ecr.{region}.amazonaws.com",
        f".s3.{region}.amazonaws.com",
        f"sts.{region}.amazonaws.com",
        f"secretsmanager.{region}.amazonaws.com",
        "public.ecr.aws",
        "registry.k8s.io",
    ):
        assert required in source["Targets"]
    [dns] = [
        g for g in groups.values() if "RulesString" in g["Properties"]["RuleGroup"]["RulesSource"]
    ]
    rules = dns["Properties"]["RuleGroup"]["RulesSource"]["RulesString"]
    assert "drop dns $HOME_NET any -> $EXTERNAL_NET any" in rules
    assert "$EXTERNAL_NET 853" in rules


@pytest.mark.parametrize("env_name", ["staging", "prod"])
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
    assert (
        cloudwatch["LogGroupName"]["Fn::GetStackOutput"]["StackName"]
        == f"innovate-{env_name}-logging"
    )


def test_vpc_endpoints(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-network"]
    endpoints = resources_of(template, "AWS::EC2::VPCEndpoint").values()
    services = sorted(
        str(e["Properties"]["ServiceName"]).replace("com.amazonaws.eu-west-1.", "")
        if isinstance(e["Properties"]["ServiceName"], str)
        else "s3"
        for e in endpoints
    )
    assert services == sorted(["s3", "ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs", "kms"])
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


def test_no_security_group_is_open_to_the_world(templates: Templates) -> None:
    checked = 0
    for name, template in templates.items():
        for sg_id, sg in resources_of(template, "AWS::EC2::SecurityGroup").items():
            checked += 1
            for rule in sg["Properties"].get("SecurityGroupIngress", []):
                assert not _open_to_world(rule), f"{name}/{sg_id} ingress {rule}"
            for rule in sg["Properties"].get("SecurityGroupEgress", []):
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
