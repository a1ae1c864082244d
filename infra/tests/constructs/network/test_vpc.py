"""The Network construct in isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from innovate_infra.constructs.logging.log_archive import LogArchiveDestination
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps
from innovate_infra.constructs.network.vpc import FirewallSettings, Network, NetworkProps

from tests.helpers import new_stack


@pytest.mark.parametrize(("nat", "expected_nats"), [("per_az", 2), ("single", 1)])
def test_network_with_firewall_in_two_azs(tmp_path: Path, nat: str, expected_nats: int) -> None:
    """The firewall also works in a 2-AZ VPC (dev may turn it on), per-AZ or single NAT."""
    stack = new_stack(tmp_path)
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

    network = Network(
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
            log_archive=LogArchiveDestination("archive-bucket", "vpc-flow-logs/test", "nfw/test"),
            firewall=FirewallSettings(
                allowed_domains=["example.com"],
                alert_log_group=group("alerts").log_group,
                delete_protection=False,
            ),
        ),
    )
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
