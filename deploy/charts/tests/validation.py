"""Schema validation of rendered manifests: core kinds against Kubernetes' own schemas
(kubernetes-validate, strict: unknown fields are errors), custom resources against the
vendored CRDs' openAPIV3Schema, made strict the same way. A kind that is neither is an
error, never a skip.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from chart import KUBERNETES_VERSION

CRD_DIR = Path(__file__).resolve().parent / "crds"

# The only custom resources the chart may render, each with its vendored CRD file.
CRD_FILES = {
    ("argoproj.io/v1alpha1", "Rollout"): "rollout-crd.yaml",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "analysis-template-crd.yaml",
    ("elbv2.k8s.aws/v1beta1", "TargetGroupBinding"): "elbv2.k8s.aws_targetgroupbindings.yaml",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_prometheusrules.yaml",
}

# libyaml's loader: the CRD files are large (up to 200 KB of YAML).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class ManifestError(Exception):
    """A rendered object the cluster would refuse (or that nothing can validate)."""


def strict(schema: Any) -> Any:
    """Refuse fields a CRD does not declare (the API server would prune them silently,
    so a misspelt field would be lost without an error)."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@functools.cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    filename = CRD_FILES[(api_version, kind)]
    crd = yaml.load((CRD_DIR / filename).read_text(encoding="utf-8"), Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    group, version = api_version.split("/")
    if crd["spec"]["group"] != group or crd["spec"]["names"]["kind"] != kind:
        raise ManifestError(f"{filename} defines {crd['spec']['names']['kind']}, not {kind}")
    for served in crd["spec"]["versions"]:
        if served["name"] == version and served.get("served"):
            schema = strict(served["schema"]["openAPIV3Schema"])
            # metadata is ObjectMeta, validated below like the API server does.
            schema["properties"]["metadata"] = {"type": "object"}
            return schema
    raise ManifestError(f"{filename} does not serve {api_version}")


def _check_metadata(doc: dict[str, Any], where: str) -> None:
    meta = doc.get("metadata") or {}
    name = meta.get("name", "")
    if not name or len(name) > 63 or not _DNS_LABEL.match(name):
        raise ManifestError(f"{where}: metadata.name {name!r} is not a DNS label (<= 63)")
    if not meta.get("namespace"):
        raise ManifestError(f"{where}: metadata.namespace is not set")
    for key, value in (meta.get("labels") or {}).items():
        if not isinstance(value, str) or len(value) > 63:
            raise ManifestError(f"{where}: label {key}={value!r} is not a label value")


def validate(doc: dict[str, Any]) -> str:
    """Validate one object; returns what validated it ("kubernetes 1.35" or the CRD file)."""
    api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    where = f"{kind} {doc.get('metadata', {}).get('name', '?')}"
    _check_metadata(doc, where)
    if (api_version, kind) in CRD_FILES:
        try:
            jsonschema.Draft7Validator(crd_schema(api_version, kind)).validate(doc)
        except jsonschema.ValidationError as exc:
            path = ".".join(str(p) for p in exc.absolute_path)
            raise ManifestError(f"{where}: {path}: {exc.message}") from None
        return CRD_FILES[(api_version, kind)]
    try:
        version = kubernetes_validate.validate(copy.deepcopy(doc), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        raise ManifestError(
            f"{where}: {api_version} {kind} is neither a Kubernetes {KUBERNETES_VERSION} kind "
            "nor a vendored CRD (add its CRD under tests/crds)"
        ) from None
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        raise ManifestError(f"{where}: {path}: {exc.message}") from None
    if version != ".".join(KUBERNETES_VERSION.split(".")[:2]):
        raise ManifestError(
            f"{where}: validated against Kubernetes {version}, not {KUBERNETES_VERSION}"
        )
    return f"kubernetes {version}"
