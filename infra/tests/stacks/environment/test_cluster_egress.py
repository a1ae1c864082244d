"""Staging and prod have no open internet: every chart and image the cluster stacks
reference must be reachable through the egress allow-list (Network Firewall and DNS
Firewall, ``platform.allowed_domains``) or a VPC endpoint, and the endpoints the nodes,
Karpenter and the add-ons need must exist in every environment."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.eks.egress import CHART_HOSTS, REGISTRY_HOSTS, allowed, registry_of

from tests.helpers import resources_of
from tests.stacks.environment.cluster_templates import charts, images, manifests

Templates = dict[str, dict[str, Any]]
REGION = "eu-west-1"
# What EKS, Karpenter and the add-ons call privately (EKS user guide, private clusters;
# Karpenter, "Private Clusters"), as interface endpoint service names.
REQUIRED_ENDPOINTS = {
    "ec2",
    "eks",
    "eks-auth",
    "sts",
    "ecr.api",
    "ecr.dkr",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "elasticloadbalancing",
    "autoscaling",
    "sqs",
    "logs",
    "kms",
    "secretsmanager",
}


@pytest.fixture(params=["dev", "staging", "prod"])
def env_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def interface_endpoints(templates: Templates, env: str) -> dict[str, dict[str, Any]]:
    found = {}
    for endpoint in resources_of(
        templates[f"innovate-{env}-network"], "AWS::EC2::VPCEndpoint"
    ).values():
        props = endpoint["Properties"]
        if props.get("VpcEndpointType") == "Interface":
            found[props["ServiceName"].replace(f"com.amazonaws.{REGION}.", "")] = props
    return found


def referenced(templates: Templates, env: str) -> tuple[list[str], list[str]]:
    """(chart repositories, images) the cluster stack references."""
    template = templates[f"innovate-{env}-cluster"]
    found = charts(template)
    repositories = [chart.repository for chart in found]
    refs = [image for chart in found for image in images(chart.values)]
    refs += images(manifests(template))
    return repositories, refs


def test_the_cluster_endpoints_exist_with_private_dns(templates: Templates, env_name: str) -> None:
    endpoints = interface_endpoints(templates, env_name)
    assert set(endpoints) >= REQUIRED_ENDPOINTS
    for service, props in endpoints.items():
        assert props["PrivateDnsEnabled"] is True, service


def test_staging_and_prod_place_endpoints_in_every_az(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    env = platform.environment(env_name)
    expected = len(env.availability_zones) if env.network.interface_endpoints == "per_az" else 1
    if env_name != "dev":
        assert env.network.interface_endpoints == "per_az"
    for service, props in interface_endpoints(templates, env_name).items():
        assert len(props["SubnetIds"]) == expected, service


def test_every_chart_and_image_resolves_to_an_allowed_domain(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    env = platform.environment(env_name)
    domains = platform.allowed_domains(env)
    repositories, refs = referenced(templates, env_name)
    # The test must see what the stacks install: five charts and their images.
    assert len(repositories) == 5, repositories
    assert len(refs) >= 10, refs
    unknown_charts = sorted({r for r in repositories if r not in CHART_HOSTS})
    unknown_registries = sorted({registry_of(i) for i in refs} - set(REGISTRY_HOSTS))
    assert not unknown_charts, (
        f"chart repositories without a host list (egress.py): {unknown_charts}"
    )
    assert not unknown_registries, (
        f"registries without a host list (egress.py): {unknown_registries}"
    )
    needed = {host for r in repositories for host in CHART_HOSTS[r]}
    needed |= {urlparse(r).hostname or "" for r in repositories}
    needed |= {host for i in refs for host in REGISTRY_HOSTS[registry_of(i)]}
    needed = {host.replace("{region}", env.region) for host in needed}
    refused = sorted(host for host in needed if not allowed(host, domains))
    assert not refused, f"{env_name}: not on the egress allow-list: {refused}"


def test_the_allow_list_check_bites() -> None:
    assert allowed("cdn02.quay.io", [".quay.io"])
    assert allowed("quay.io", [".quay.io"])
    assert not allowed("evilquay.io", [".quay.io"])
    assert not allowed("registry-1.docker.io.evil.com", ["registry-1.docker.io"])
    assert registry_of("quay.io/prometheus/prometheus") == "quay.io"
    assert registry_of("grafana/grafana") == "docker.io"
    assert registry_of("public.ecr.aws/aws-cli/aws-cli:2.22.0") == "public.ecr.aws"
