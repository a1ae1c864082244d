"""Every Kubernetes object the cluster stacks apply is valid for the cluster's version:
core kinds with kubernetes-validate (strict: unknown fields are errors), Karpenter's
kinds against the vendored CRDs of the installed release (``crds/README.md``), and the
Kubernetes fragments inside the Helm values (containers, tolerations, resources, volume
claims) against their core schemas. A kind that neither knows is a failure."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from innovate_infra.config import PlatformConfig
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

from tests.stacks.environment.cluster_templates import charts, manifests

Templates = dict[str, dict[str, Any]]
CRD_DIR = Path(__file__).parent / "crds"
VENDORED_KARPENTER = "1.14.1"
CRDS = {
    ("karpenter.sh/v1", "NodePool"): CRD_DIR / "karpenter" / "karpenter.sh_nodepools.yaml",
    ("karpenter.k8s.aws/v1", "EC2NodeClass"): CRD_DIR
    / "karpenter"
    / "karpenter.k8s.aws_ec2nodeclasses.yaml",
}
CORE_KINDS = {
    ("v1", "Namespace"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("storage.k8s.io/v1", "StorageClass"),
}
# Keys of Helm values that hold a Kubernetes type, and that type's schema.
VALUE_FRAGMENTS = {
    "tolerations": ("toleration-v1", True),
    "extraInitContainers": ("container-v1", True),
    "resources": ("resourcerequirements-v1", False),
    "volumeClaimTemplate": ("persistentvolumeclaim-v1", False),
}


@pytest.fixture(params=["dev", "staging", "prod"])
def env_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _strict(schema: Any) -> Any:
    """Unknown fields are errors (objects with declared properties admit no others)."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    crd = yaml.safe_load(CRDS[(api_version, kind)].read_text(encoding="utf-8"))
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group
    assert crd["spec"]["names"]["kind"] == kind
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version and v["served"]]
    schema = copy.deepcopy(served["schema"]["openAPIV3Schema"])
    # The API server fills apiVersion/kind/metadata; the CRD only types them.
    return _strict(schema)  # type: ignore[no-any-return]


def validate_crd_object(obj: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(crd_schema(obj["apiVersion"], obj["kind"])).validate(obj)


def validate_fragment(data: Any, schema_name: str, version: str) -> None:
    directory = f"kubernetes-json-schema/v{version}.0-local-strict"
    schema = kv.schema_contents(f"{directory}/{schema_name}.json", version)
    definitions = kv.schema_contents(f"{directory}/_definitions.json", version)
    registry: Registry = Resource.from_contents(schema) @ Registry()  # type: ignore[type-arg]
    registry = Resource.from_contents(definitions) @ registry
    jsonschema.Draft202012Validator(schema, registry=registry).validate(data)


def fragments(values: Any) -> list[tuple[str, Any]]:
    """(schema, value) of every Kubernetes fragment in a chart's values."""
    found: list[tuple[str, Any]] = []
    if isinstance(values, dict):
        for key, inner in values.items():
            if key in VALUE_FRAGMENTS:
                schema, is_list = VALUE_FRAGMENTS[key]
                found += [(schema, item) for item in (inner if is_list else [inner])]
            else:
                found += fragments(inner)
    elif isinstance(values, list):
        for inner in values:
            found += fragments(inner)
    return found


def cluster_template(templates: Templates, env: str) -> dict[str, Any]:
    return templates[f"innovate-{env}-cluster"]


def test_kubernetes_validate_ships_the_cluster_version(platform: PlatformConfig) -> None:
    for env in platform.environments.values():
        version = env.cluster.kubernetes_version
        assert version in {kv.major_minor(v) for v in kv.all_versions()}, version


def test_every_manifest_is_valid_for_the_cluster_version(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    version = platform.environment(env_name).cluster.kubernetes_version
    objects = manifests(cluster_template(templates, env_name))
    kinds = {(o["apiVersion"], o["kind"]) for o in objects}
    unknown = kinds - CORE_KINDS - set(CRDS)
    assert not unknown, f"no schema for {sorted(unknown)}: vendor its CRD or add the core kind"
    # Everything the stacks are meant to apply is there (and so was validated).
    assert kinds == CORE_KINDS | set(CRDS)
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        if key in CORE_KINDS:
            validated = kubernetes_validate.validate(obj, version, strict=True)
            assert validated == version
        else:
            validate_crd_object(obj)


def test_helm_values_fragments_are_valid_kubernetes(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    version = platform.environment(env_name).cluster.kubernetes_version
    checked = 0
    for chart in charts(cluster_template(templates, env_name)):
        found = fragments(chart.values)
        assert found, f"{chart.chart}: no Kubernetes fragment found in its values"
        for schema, value in found:
            validate_fragment(value, schema, version)
            checked += 1
    # Tolerations of four charts, Karpenter's resources, Grafana's init container,
    # Prometheus' volume claim.
    assert checked >= 7


def test_the_vendored_crds_are_those_of_the_installed_karpenter(platform: PlatformConfig) -> None:
    for env in platform.environments.values():
        assert env.cluster.karpenter.version == VENDORED_KARPENTER, env.name
    readme = (CRD_DIR / "README.md").read_text(encoding="utf-8")
    for path in CRDS.values():
        assert path.name in readme
    assert f"v{VENDORED_KARPENTER}" in readme


def test_validation_bites() -> None:
    """The validators refuse what the API server would refuse."""
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "x"},
        "spec": {"typo": 1},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(namespace, "1.35", strict=True)
    pool = {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": "p"},
        "spec": {
            "template": {
                "spec": {
                    "nodeClassRef": {
                        "group": "karpenter.k8s.aws",
                        "kind": "EC2NodeClass",
                        "name": "d",
                    },
                    "requirements": [],
                    "unknownField": True,
                }
            }
        },
    }
    with pytest.raises(jsonschema.ValidationError):
        validate_crd_object(pool)
    with pytest.raises(jsonschema.ValidationError):
        validate_fragment({"key": "k", "tolerationSeconds": "soon"}, "toleration-v1", "1.35")
