"""The ``cluster`` section of the environment files: bad input is refused with the file,
the field and the reason; prod's rules (on-demand baseline, private endpoint, no
edit access) hold; access names permission sets assigned to the environment's account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from innovate_infra.config import PlatformConfig
from innovate_infra.config.cluster import architecture_of

from tests.helpers import edit, issues_of


def test_each_environment_has_its_cluster(platform: PlatformConfig) -> None:
    dev, prod = platform.environment("dev"), platform.environment("prod")
    assert dev.cluster.kubernetes_version == prod.cluster.kubernetes_version == "1.35"
    assert prod.cluster.karpenter.baseline.capacity_types == ["on-demand"]
    assert "spot" in dev.cluster.karpenter.baseline.capacity_types
    assert "spot" in prod.cluster.karpenter.burst.capacity_types
    assert prod.cluster.endpoint_public_access_cidrs == []
    assert dev.network.interface_endpoints == "single_az"
    assert prod.network.interface_endpoints == "per_az"


@pytest.mark.parametrize(
    ("instance", "arch"),
    [
        ("m7g.large", "arm64"),
        ("c7gn.xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("m7i.large", "amd64"),
        ("m6a.xlarge", "amd64"),
        ("g5.xlarge", "amd64"),
    ],
)
def test_architecture_of_instance_types(instance: str, arch: str) -> None:
    assert architecture_of(instance) == arch


def _cluster(change: Any) -> Any:
    return lambda d: change(d["cluster"])


CASES = [
    (
        "prod",
        lambda c: c["karpenter"]["baseline"].update(capacity_types=["spot", "on-demand"]),
        "cluster.karpenter.baseline.capacity_types: prod's baseline is on-demand only",
    ),
    (
        "prod",
        lambda c: c.update(endpoint_public_access_cidrs=["203.0.113.0/24"]),
        "prod's API endpoint is private",
    ),
    (
        "prod",
        lambda c: c["access"].append(
            {
                "permission_set": "BreakGlassAdmin",
                "role_suffix": "0" * 16,
                "access": "edit_application",
            }
        ),
        "may not have edit_application in prod",
    ),
    (
        "prod",
        lambda c: c["system_nodes"].update(min_size=1, desired_size=1),
        "prod needs at least 2 system nodes",
    ),
    (
        "dev",
        lambda c: c["system_nodes"].update(desired_size=9),
        "need min_size <= desired_size <= max_size",
    ),
    (
        "dev",
        lambda c: c["system_nodes"].update(instance_types=["m7g.large", "m7i.large"]),
        "mix arm64 and amd64",
    ),
    ("dev", lambda c: c["addons"].update(kube_proxy="v1.34.1-eksbuild.2"), "kube-proxy must match"),
    ("dev", lambda c: c["addons"].update(vpc_cni="latest"), "String should match pattern"),
    ("dev", lambda c: c.update(kubernetes_version="1.36"), "Input should be '1.35'"),
    ("dev", lambda c: c.update(endpoint_public_access_cidrs=["0.0.0.0/0"]), "at most a /16"),
    (
        "dev",
        lambda c: c.update(endpoint_public_access_cidrs=["10.0.0.1/24"]),
        "not a valid IPv4 CIDR",
    ),
    (
        "dev",
        lambda c: c["karpenter"]["burst"].update(capacity_types=["spot", "spot"]),
        "duplicates",
    ),
    ("dev", lambda c: c["karpenter"].update(version="2.0.0"), "String should match pattern"),
    (
        "dev",
        lambda c: c.update(access=[c["access"][1]]),
        "at least one permission set needs cluster_admin",
    ),
    ("dev", lambda c: c["access"][0].update(role_suffix="XYZ"), "String should match pattern"),
]


@pytest.mark.parametrize(("env", "change", "reason"), CASES)
def test_bad_cluster_settings_name_file_field_and_reason(
    config_dir: Path, env: str, change: Any, reason: str
) -> None:
    edit(config_dir / f"environments/{env}.yaml", _cluster(change))
    issues = issues_of(config_dir)
    assert issues, "accepted"
    [(file, field, message)] = issues
    assert file == f"{env}.yaml"
    assert field.startswith("cluster") or field == "<root>" or "cluster" in message
    assert reason in message


def test_endpoints_in_one_az_only_in_dev(config_dir: Path) -> None:
    edit(
        config_dir / "environments/staging.yaml",
        lambda d: d["network"].update(interface_endpoints="single_az"),
    )
    [(file, _, message)] = issues_of(config_dir)
    assert file == "staging.yaml"
    assert "staging needs per_az" in message


def test_access_needs_a_permission_set_assigned_to_the_account(config_dir: Path) -> None:
    # Developer is assigned to the Development account only.
    edit(
        config_dir / "environments/prod.yaml",
        _cluster(lambda c: c["access"][1].update(permission_set="Developer")),
    )
    [(file, field, message)] = issues_of(config_dir)
    assert (file, field) == ("prod.yaml", "cluster.access[1].permission_set")
    assert "'Developer' is not assigned to the production account" in message
