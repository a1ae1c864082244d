"""Reusable constructs in isolation (aws_cdk.assertions.Template on a small stack)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import CfnResource, Environment, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from innovate_infra.config import LOG_RETENTION_DAYS
from innovate_infra.constructs.encryption_key import EncryptionKey, EncryptionKeyProps
from innovate_infra.constructs.log_destinations import (
    RETENTION_BY_DAYS,
    EncryptedLogGroup,
    EncryptedLogGroupProps,
    LogArchiveDestination,
)
from innovate_infra.constructs.network import FirewallSettings, Network, NetworkProps
from innovate_infra.estate import create_app
from innovate_infra.tagging import apply_standard_tags

ENV = Environment(account="333333333333", region="eu-west-1")


def new_stack(tmp_path: Path) -> Stack:
    return Stack(create_app(outdir=tmp_path), "Test", env=ENV)


def test_every_configurable_retention_maps_to_cdk() -> None:
    assert sorted(RETENTION_BY_DAYS) == sorted(LOG_RETENTION_DAYS)


def test_encryption_key_policy(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    EncryptionKey(
        stack,
        "Data",
        props=EncryptionKeyProps(
            purpose="data",
            alias="alias/test/data",
            description="test",
            removal_policy=RemovalPolicy.RETAIN,
            via_services=("s3.eu-west-1.amazonaws.com",),
            allow_grants_via_services=True,
        ),
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource(
        "AWS::KMS::Key",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "EnableKeyRotation": True,
                    "PendingWindowInDays": 30,
                    "KeyPolicy": {
                        "Statement": Match.array_with(
                            [
                                Match.object_like(
                                    {
                                        "Sid": "UseThroughApprovedServices",
                                        "Condition": {
                                            "StringEquals": {
                                                "kms:CallerAccount": "333333333333",
                                                "kms:ViaService": ["s3.eu-west-1.amazonaws.com"],
                                            }
                                        },
                                    }
                                ),
                                Match.object_like(
                                    {
                                        "Sid": "GrantsForAwsResourcesThroughApprovedServices",
                                        "Condition": Match.object_like(
                                            {"Bool": {"kms:GrantIsForAWSResource": "true"}}
                                        ),
                                    }
                                ),
                            ]
                        ),
                        "Version": "2012-10-17",
                    },
                }
            ),
        },
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/test/data"})


def test_encrypted_log_group(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    EncryptedLogGroup(
        stack,
        "Group",
        props=EncryptedLogGroupProps(
            log_group_name="/test/group",
            encryption_key=key,
            retention_days=400,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    template = Template.from_stack(stack)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "DeletionPolicy": "Delete",
            "Properties": {
                "LogGroupName": "/test/group",
                "RetentionInDays": 400,
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^Key"), "Arn"]},
            },
        },
    )


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


def test_standard_tags_reach_raw_l1_resources(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    CfnResource(
        stack,
        "RawRole",
        type="AWS::IAM::Role",
        properties={"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
    )
    apply_standard_tags(stack, {"Project": "p", "Owner": "o"})
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Role",
        {"Tags": [{"Key": "Owner", "Value": "o"}, {"Key": "Project", "Value": "p"}]},
    )
