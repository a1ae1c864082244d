"""The Network construct in isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from innovate_infra.constructs.logging.log_archive import LogArchiveDestination
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps
from innovate_infra.constructs.network.vpc import (
    PUBLIC,
    DnsFirewallSettings,
    FirewallSettings,
    Network,
    NetworkProps,
)

from tests.helpers import NetworkLayout, firewall_of_endpoint, new_stack, public_subnet_intruders


def build_network(stack: Stack, *, nat: str = "single", endpoints: str = "per_az") -> Network:
    key = kms.Key(stack, "Key", enable_key_rotation=True)

    def group(name: str) -> EncryptedLogGroup:
        return EncryptedLogGroup(
            stack,
            name,
            props=EncryptedLogGroupProps(
                log_group_name=f"/test/{name}",
                encryption_key=key,
                retention_days=30,
                removal_policy=RemovalPolicy.DESTROY,
            ),
        )

    return Network(
        stack,
        "Network",
        props=NetworkProps(
            name_prefix="test",
            cidr="10.50.0.0/16",
            availability_zones=["eu-west-1a", "eu-west-1b"],
            public_prefix_length=24,
            private_prefix_length=20,
            isolated_prefix_length=24,
            firewall_prefix_length=28,
            nat_gateways=nat,  # type: ignore[arg-type]
            flow_log_group=group("flow").log_group,
            log_archive=LogArchiveDestination(
                "archive-bucket", "vpc-flow-logs/test", "nfw/test", "dns-query-logs/test"
            ),
            organization_id="o-exampleorg1",
            dns_firewall=DnsFirewallSettings(
                allowed_domains=["example.com", ".example.org"],
                own_domain="test.example.com",
                managed_domain_list_ids=["rslvr-fdl-0123456789abcdef"],
                threat_confidence="HIGH",
            ),
            firewall=FirewallSettings(
                allowed_domains=["example.com"],
                alert_log_group=group("alerts").log_group,
                delete_protection=False,
                endpoints=endpoints,  # type: ignore[arg-type]
            ),
        ),
    )


@pytest.mark.parametrize(("nat", "expected_nats"), [("per_az", 2), ("single", 1)])
def test_network_with_firewall_in_two_azs(tmp_path: Path, nat: str, expected_nats: int) -> None:
    """The per-AZ firewall also works in a 2-AZ VPC, per-AZ or single NAT."""
    stack = new_stack(tmp_path)
    network = build_network(stack, nat=nat)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::NetworkFirewall::Firewall", 2)
    template.resource_count_is("AWS::NetworkFirewall::FirewallPolicy", 1)
    template.resource_count_is("AWS::EC2::NatGateway", expected_nats)
    template.resource_count_is("AWS::EC2::Subnet", 8)
    assert network.firewall is not None
    assert sorted(network.firewall.endpoint_for_az) == ["eu-west-1a", "eu-west-1b"]
    # Two private default routes to firewall endpoints, two firewall-subnet routes to NAT,
    # two return routes: all present whatever the NAT mode.
    template.resource_properties_count_is(
        "AWS::EC2::Route",
        {"DestinationCidrBlock": "0.0.0.0/0", "VpcEndpointId": Match.any_value()},
        2,
    )
    template.resource_properties_count_is(
        "AWS::EC2::Route",
        {
            "DestinationCidrBlock": Match.string_like_regexp(r"^10\.50\."),
            "VpcEndpointId": Match.any_value(),
        },
        2,
    )


def test_single_endpoint_serves_every_az_symmetrically(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    build_network(stack, nat="single", endpoints="single")
    net = NetworkLayout(Template.from_stack(stack).to_json())
    [firewall] = net.firewalls
    [nat] = net.nat_gateways
    assert net.firewall_az(firewall) == net.nat_az(nat)
    nat_subnet = str(net.nat_gateways[nat]["Properties"]["SubnetId"]["Ref"])
    for private in net.subnets_in("private").values():
        route = net.default_route(private)
        assert route is not None
        assert firewall_of_endpoint(route["VpcEndpointId"]) == firewall
        [back] = [
            r
            for r in net.routes_of(nat_subnet)
            if r.get("DestinationCidrBlock") == net.cidr(private)
        ]
        assert firewall_of_endpoint(back["VpcEndpointId"]) == firewall


def intrude(network: Network, kind: str) -> None:
    """Put something other than a NAT gateway into the public subnets."""
    public = ec2.SubnetSelection(subnet_group_name=PUBLIC)
    if kind == "load balancer":
        elbv2.ApplicationLoadBalancer(
            network, "Alb", vpc=network.vpc, internet_facing=True, vpc_subnets=public
        )
    elif kind == "instance":
        ec2.Instance(
            network,
            "Bastion",
            vpc=network.vpc,
            vpc_subnets=public,
            instance_type=ec2.InstanceType("t3.micro"),
            machine_image=ec2.MachineImage.generic_linux({"eu-west-1": "ami-0123456789abcdef0"}),
        )
    elif kind == "interface endpoint":
        network.vpc.add_interface_endpoint(
            "AthenaEndpoint", service=ec2.InterfaceVpcEndpointAwsService.ATHENA, subnets=public
        )
    else:
        raise AssertionError(kind)


def test_public_subnets_hold_only_nat_gateways(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    build_network(stack)
    assert public_subnet_intruders(Template.from_stack(stack).to_json()) == []


@pytest.mark.parametrize("kind", ["load balancer", "instance", "interface endpoint"])
def test_anything_else_in_a_public_subnet_is_caught(tmp_path: Path, kind: str) -> None:
    """Item 15: the check the environment templates pass fails on an intruder."""
    stack = new_stack(tmp_path)
    intrude(build_network(stack), kind)
    intruders: list[Any] = public_subnet_intruders(Template.from_stack(stack).to_json())
    assert intruders, kind


def test_dns_firewall_rules_in_order(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    build_network(stack)
    template = Template.from_stack(stack).to_json()
    [group] = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Route53Resolver::FirewallRuleGroup"
    ]
    rules = sorted(group["Properties"]["FirewallRules"], key=lambda r: r["Priority"])
    assert [r.get("DnsThreatProtection") for r in rules[:2]] == ["DNS_TUNNELING", "DGA"]
    assert rules[2]["FirewallDomainListId"] == "rslvr-fdl-0123456789abcdef"
    assert rules[2]["Action"] == "BLOCK"
    assert [r["Action"] for r in rules[3:]] == ["ALLOW", "BLOCK"]
