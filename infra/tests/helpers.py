"""The helpers of every test: reading synthesized templates."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import Environment, Stack
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from innovate_infra.app import create_app
from innovate_infra.config import ConfigError, load_platform

ENV = Environment(account="333333333333", region="eu-west-1")


def resources_of(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == cfn_type
    }


def ref(value: Any) -> str | None:
    """The logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attr]}."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def firewall_of_endpoint(value: Any) -> str | None:
    """The firewall logical id in Select(1, Split(":", Select(0, GetAtt(fw.EndpointIds))))."""
    try:
        inner = value["Fn::Select"][1]["Fn::Split"][1]["Fn::Select"][1]["Fn::GetAtt"]
    except (KeyError, IndexError, TypeError):
        return None
    return str(inner[0]) if inner[1] == "EndpointIds" else None


def tag_value(resource: dict[str, Any], key: str) -> str | None:
    for tag in resource.get("Properties", {}).get("Tags", []) or []:
        if isinstance(tag, dict) and tag.get("Key") == key:
            return str(tag.get("Value"))
    return None


class NetworkLayout:
    """Subnets, route tables and routes of a network template, joined by AZ and tier."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.subnets = resources_of(template, "AWS::EC2::Subnet")
        self.routes = resources_of(template, "AWS::EC2::Route")
        self.firewalls = resources_of(template, "AWS::NetworkFirewall::Firewall")
        self.nat_gateways = resources_of(template, "AWS::EC2::NatGateway")
        self.table_of_subnet: dict[str, str] = {}
        for assoc in resources_of(template, "AWS::EC2::SubnetRouteTableAssociation").values():
            props = assoc["Properties"]
            self.table_of_subnet[str(ref(props["SubnetId"]))] = str(ref(props["RouteTableId"]))

    def tier(self, subnet_id: str) -> str:
        return str(tag_value(self.subnets[subnet_id], "aws-cdk:subnet-name"))

    def az(self, subnet_id: str) -> str:
        return str(self.subnets[subnet_id]["Properties"]["AvailabilityZone"])

    def cidr(self, subnet_id: str) -> str:
        return str(self.subnets[subnet_id]["Properties"]["CidrBlock"])

    def subnets_in(self, tier: str) -> dict[str, str]:
        """AZ -> subnet logical id for one tier."""
        return {self.az(s): s for s in self.subnets if self.tier(s) == tier}

    def routes_of(self, subnet_id: str) -> list[dict[str, Any]]:
        table = self.table_of_subnet[subnet_id]
        return [
            r["Properties"]
            for r in self.routes.values()
            if ref(r["Properties"]["RouteTableId"]) == table
        ]

    def default_route(self, subnet_id: str) -> dict[str, Any] | None:
        matches = [
            r for r in self.routes_of(subnet_id) if r.get("DestinationCidrBlock") == "0.0.0.0/0"
        ]
        assert len(matches) <= 1
        return matches[0] if matches else None

    def nat_az(self, nat_id: str) -> str:
        return self.az(str(ref(self.nat_gateways[nat_id]["Properties"]["SubnetId"])))

    def firewall_az(self, firewall_id: str) -> str:
        [mapping] = self.firewalls[firewall_id]["Properties"]["SubnetMappings"]
        return self.az(str(ref(mapping["SubnetId"])))


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    """A template resource's tags as a map (list-style or map-style ``Tags``)."""
    tags = resource.get("Properties", {}).get("Tags", [])
    if isinstance(tags, dict):  # map-style tags (a few resource types)
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags}


@cache
def taggable(cfn_type: str, region: str) -> bool:
    """Whether CloudFormation lets this resource type carry tags (from the provider schema)."""
    if cfn_type.startswith("Custom::"):
        return False
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, cfn_type).schema
    return bool(schema.get("tagging", {}).get("taggable")) and "Tags" in schema.get(
        "properties", {}
    )


def sdk_calls(template: Template) -> list[dict[str, Any]]:
    """The ``Create`` payload of every AwsCustomResource, with tokens rendered as text."""
    calls = []
    for resource in template.find_resources("Custom::AWS").values():
        create = resource["Properties"]["Create"]
        if isinstance(create, dict) and "Fn::Join" in create:
            separator, parts = create["Fn::Join"]
            create = separator.join(
                p if isinstance(p, str) else "<" + json.dumps(p, sort_keys=True) + ">"
                for p in parts
            )
        calls.append(
            {"text": create, "depends_on": resource.get("DependsOn", []), "resource": resource}
        )
    return calls


def calls_of(template: Template, service: str, action: str) -> list[dict[str, Any]]:
    return [
        c
        for c in sdk_calls(template)
        if f'"service":"{service}"' in c["text"] and f'"action":"{action}"' in c["text"]
    ]


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to one YAML file of a copied configuration directory."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def issues_of(config_dir: Path, **kwargs: Any) -> list[tuple[str, str, str]]:
    """(file name, field, reason) of every problem ``load_platform`` reports."""
    with pytest.raises(ConfigError) as caught:
        load_platform(config_dir, **kwargs)
    return [(Path(i.file).name, i.field, i.reason) for i in caught.value.issues]


def new_stack(tmp_path: Path) -> Stack:
    """An empty stack in its own app, to test one construct in isolation."""
    return Stack(create_app(outdir=tmp_path), "Test", env=ENV)


# Resource types that may reference a public subnet: the NAT gateway itself and the
# subnet's route-table association (the firewall's return routing, issue #8 item 15).
PUBLIC_SUBNET_TENANTS = frozenset({"AWS::EC2::NatGateway", "AWS::EC2::SubnetRouteTableAssociation"})


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        target = ref(value)
        if target is not None:
            found.add(target)
        for inner in value.values():
            found |= _references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner)
    return found


def public_subnet_intruders(template: dict[str, Any]) -> list[str]:
    """Everything in a template that lands in (references) a public subnet other than
    NAT gateways, plus any output handing a public subnet to another stack."""
    public = {
        lid
        for lid, subnet in resources_of(template, "AWS::EC2::Subnet").items()
        if tag_value(subnet, "aws-cdk:subnet-type") == "Public"
    }
    intruders = [
        f"{lid} ({resource['Type']})"
        for lid, resource in template.get("Resources", {}).items()
        if resource["Type"] not in PUBLIC_SUBNET_TENANTS
        and _references(resource.get("Properties", {})) & public
    ]
    intruders += [
        f"output {name}"
        for name, output in template.get("Outputs", {}).items()
        if _references(output) & public
    ]
    return intruders
