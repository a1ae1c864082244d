"""Every rendered object validates: core kinds against Kubernetes' schemas (strict),
custom resources against their vendored CRDs (strict); nothing is skipped."""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

import pytest

from chart import KUBERNETES_VERSION, one, shadows
from validation import CRD_DIR, CRD_FILES, ManifestError, validate

# Every kind the chart renders with its environment values; a new kind must be added
# here on purpose (and validated: a CRD kind needs its vendored schema).
EXPECTED_KINDS = {
    "AnalysisTemplate": 1,
    "ConfigMap": 1,
    "CronJob": 1,
    "HorizontalPodAutoscaler": 1,
    "Job": 1,
    "NetworkPolicy": 3,
    "PodDisruptionBudget": 1,
    "PrometheusRule": 1,
    "Rollout": 1,
    "Service": 3,
    "ServiceAccount": 3,
    "ServiceMonitor": 1,
    "TargetGroupBinding": 1,
}


def test_every_environment_renders_the_expected_kinds(docs: list[dict[str, Any]]) -> None:
    counts: dict[str, int] = {}
    for doc in docs:
        counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
    assert counts == EXPECTED_KINDS


def test_every_object_validates(docs: list[dict[str, Any]]) -> None:
    validated = {(d["kind"], d["metadata"]["name"]): validate(d) for d in docs}
    custom = {kind for (_, kind) in CRD_FILES}
    for (kind, name), by in validated.items():
        if kind in custom:
            assert by.endswith(".yaml"), f"{kind} {name} was not checked against its CRD"
        else:
            assert by == "kubernetes " + ".".join(KUBERNETES_VERSION.split(".")[:2])


def test_pod_templates_inside_custom_resources_are_valid_kubernetes_pods(
    docs: list[dict[str, Any]],
) -> None:
    """The Rollout's and the AnalysisTemplate's pod specs, also against Kubernetes 1.35
    itself (the CRDs embed the PodSpec of the Kubernetes version they were built with)."""
    for shadow in shadows(docs):
        assert validate(shadow).startswith("kubernetes ")


def test_an_unknown_kind_fails_instead_of_being_skipped() -> None:
    doc = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "n"},
    }
    with pytest.raises(
        ManifestError, match=r"neither a Kubernetes 1\.35\.0 kind nor a vendored CRD"
    ):
        validate(doc)


def test_an_unknown_field_in_a_core_kind_fails(docs: list[dict[str, Any]]) -> None:
    job = copy.deepcopy(one(docs, "Job"))
    job["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(ManifestError, match="imagePullPolicyy"):
        validate(job)


@pytest.mark.parametrize(
    ("kind", "mutate", "message"),
    [
        (
            "Rollout",
            lambda d: d["spec"]["strategy"]["blueGreen"].update(autoPromotion=True),
            "autoPromotion",
        ),
        (
            "Rollout",
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(ports="8000"),
            "is not of type 'array'",
        ),
        (
            "AnalysisTemplate",
            lambda d: d["spec"]["metrics"][1].pop("provider"),
            "'provider' is a required property",
        ),
        ("TargetGroupBinding", lambda d: d["spec"].update(targetType="instance-ip"), "instance-ip"),
        ("ServiceMonitor", lambda d: d["spec"]["endpoints"][0].update(scheme="tcp"), "tcp"),
        (
            "PrometheusRule",
            lambda d: d["spec"]["groups"][0]["rules"][0].pop("expr"),
            "'expr' is a required property",
        ),
    ],
)
def test_a_bad_custom_resource_fails_against_its_crd(
    docs: list[dict[str, Any]], kind: str, mutate: Any, message: str
) -> None:
    doc = copy.deepcopy(one(docs, kind))
    mutate(doc)
    with pytest.raises(ManifestError, match=re.escape(message)):
        validate(doc)


def test_vendored_crds_match_this_readme() -> None:
    readme = (CRD_DIR / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|", readme, re.M))
    files = {p.name for p in CRD_DIR.glob("*.yaml")}
    assert files == set(CRD_FILES.values()) == set(rows), "every CRD file is used and documented"
    for name, digest in rows.items():
        assert hashlib.sha256((CRD_DIR / name).read_bytes()).hexdigest() == digest, name
        head = (CRD_DIR / name).read_text(encoding="utf-8")[:400]
        assert "kind: CustomResourceDefinition" in head, name
