"""Rendering the chart offline (helm-python-sdk: Helm's own Go engine, no helm binary).

The tests render exactly what the pipeline deploys: an environment's values file plus
the values the pipeline adds per build (`--set`): the image tag and digest, and the
environment's outputs (the ALB target group ARN, the database host and the two
Secrets Manager secrets).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import helm_python
import yaml

CHART = Path(__file__).resolve().parents[1] / "innovate-api"
ENVIRONMENTS = ("dev", "staging", "prod")
RELEASE = "innovate-api"
NAMESPACE = "innovate"
# The EKS version the cluster stack runs; kubernetes-validate ships its schemas.
KUBERNETES_VERSION = "1.35.0"

GIT_SHA = "3f1c2b9a7d5e4f60718293a4b5c6d7e8f9012345"
DIGEST = "sha256:" + "4b" * 32
TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:333333333333:targetgroup/innovate-api/0123456789abcdef"
)
DATABASE_HOST = "innovate-dev-database.abcdefghijkl.eu-west-1.rds.amazonaws.com"
DATABASE_SECRET_ID = "innovate/dev/database/app"
JWT_SECRET_ID = "innovate/dev/api/jwt-signing-key"
MASTER_SECRET_ID = "arn:aws:secretsmanager:eu-west-1:333333333333:secret:rds!db-0f1e2d3c-abcdef"
PIPELINE_VALUES: dict[str, Any] = {
    "image": {"tag": GIT_SHA, "digest": DIGEST},
    "targetGroupBinding": {"targetGroupARN": TARGET_GROUP_ARN},
    "database": {
        "host": DATABASE_HOST,
        "secretId": DATABASE_SECRET_ID,
        "masterSecretId": MASTER_SECRET_ID,
    },
    "jwtSecret": {"secretId": JWT_SECRET_ID},
}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep merge, as Helm coalesces -f files and --set (override wins)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def environment_values(env: str, *, pipeline: bool = True) -> dict[str, Any]:
    values = yaml.safe_load((CHART / f"values-{env}.yaml").read_text(encoding="utf-8"))
    return merge(values, PIPELINE_VALUES) if pipeline else values


def render_raw(values: dict[str, Any], **options: Any) -> dict[str, str]:
    """Template path -> rendered text (raises HelmValuesError / HelmRenderError)."""
    with helm_python.Chart.load(CHART) as chart:
        return chart.render(values=values, name=RELEASE, namespace=NAMESPACE, **options)


def manifests(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """Every object the release would apply (NOTES.txt is not a manifest)."""
    docs: list[dict[str, Any]] = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                docs.append(doc)
    return docs


def render(values: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return manifests(render_raw(values, **options))


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def shadows(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pod specs inside Argo Rollouts kinds, as kinds checkov scans."""
    rollout = one(docs, "Rollout")
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": rollout["metadata"],
        "spec": {"selector": rollout["spec"]["selector"], "template": rollout["spec"]["template"]},
    }
    analysis = one(docs, "AnalysisTemplate")
    jobs = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": f"{analysis['metadata']['name']}-{m['name']}",
                "namespace": NAMESPACE,
            },
            "spec": m["provider"]["job"]["spec"],
        }
        for m in analysis["spec"]["metrics"]
        if "job" in m["provider"]
    ]
    assert jobs, "the AnalysisTemplate has no Job to scan"
    return [deployment, *jobs]
