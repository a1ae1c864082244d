"""Reading the cluster stack's synthesized templates: the Kubernetes manifests and the
Helm charts (with their values) the kubectl provider applies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.helpers import resources_of

MANIFEST_TYPE = "Custom::AWSCDK-EKS-KubernetesResource"
CHART_TYPE = "Custom::AWSCDK-EKS-HelmChart"
# What a CloudFormation token (a reference resolved at deploy time) is rendered as.
TOKEN = "TOKEN"


def render(value: Any) -> str:
    """A string property that may be an Fn::Join of literals and references."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(
            render(part) if isinstance(part, str | dict) else TOKEN for part in parts
        )
    return TOKEN


@dataclass(frozen=True)
class Chart:
    logical_id: str
    chart: str
    repository: str
    version: str
    namespace: str
    values: dict[str, Any]


def manifests(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Kubernetes object the template applies."""
    found: list[dict[str, Any]] = []
    for resource in resources_of(template, MANIFEST_TYPE).values():
        found += json.loads(render(resource["Properties"]["Manifest"]))
    return found


def charts(template: dict[str, Any]) -> list[Chart]:
    found = []
    for logical_id, resource in resources_of(template, CHART_TYPE).items():
        props = resource["Properties"]
        found.append(
            Chart(
                logical_id=logical_id,
                chart=props["Chart"],
                repository=props["Repository"],
                version=props["Version"],
                namespace=props["Namespace"],
                values=json.loads(render(props.get("Values", "{}"))),
            )
        )
    return found


def images(values: Any) -> list[str]:
    """Every image a chart's values name: ``image: "<ref>"`` or ``image: {registry?,
    repository}`` at any depth."""
    found: list[str] = []
    if isinstance(values, dict):
        for key, inner in values.items():
            if key == "image" and isinstance(inner, str):
                found.append(inner)
            elif key == "image" and isinstance(inner, dict) and "repository" in inner:
                registry = inner.get("registry")
                found.append(
                    f"{registry}/{inner['repository']}" if registry else inner["repository"]
                )
            else:
                found += images(inner)
    elif isinstance(values, list):
        for inner in values:
            found += images(inner)
    return found
