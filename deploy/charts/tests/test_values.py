"""Bad values are refused before anything is applied, with a message that names the
value: by values.schema.json (each value alone) or by the templates (`required`, and
checks across values)."""

from __future__ import annotations

import json
import re
from typing import Any

import helm_python
import pytest
import yaml

from chart import (
    CHART,
    ENVIRONMENTS,
    GIT_SHA,
    TARGET_GROUP_ARN,
    environment_values,
    merge,
    render_raw,
)

SCHEMA_FAILURES = [
    ({"image": {"tag": "latest"}}, "at '/image/tag': 'latest' does not match pattern"),
    (
        {"image": {"digest": "sha256:abc"}},
        "at '/image/digest': 'sha256:abc' does not match pattern",
    ),
    ({"image": {"repository": "docker.io/library/python"}}, "at '/image/repository'"),
    ({"environment": "qa"}, "at '/environment': value must be one of 'dev', 'staging', 'prod'"),
    (
        {"database": {"sslmode": "disable"}},
        "at '/database/sslmode': value must be one of 'require', 'verify-ca', 'verify-full'",
    ),
    ({"database": {"cidrs": ["10.0.0.0/33"]}}, "at '/database/cidrs/0'"),
    ({"database": {"port": 70000}}, "at '/database/port': maximum: got 70,000, want 65,535"),
    (
        {
            "targetGroupBinding": {
                "targetGroupARN": "arn:aws:elasticloadbalancing:eu-west-1:111111111111:"
                "loadbalancer/app/x/0123456789abcdef"
            }
        },
        "at '/targetGroupBinding/targetGroupARN'",
    ),
    ({"networkPolicy": {"ingressCIDRs": ["0.0.0.0/0 "]}}, "at '/networkPolicy/ingressCIDRs/0'"),
    (
        {"gunicorn": {"keepaliveSeconds": 60}},
        "at '/gunicorn/keepaliveSeconds': minimum: got 60, want 61",
    ),
    (
        {"rollout": {"scaleDownDelaySeconds": 0}},
        "at '/rollout/scaleDownDelaySeconds': minimum: got 0, want 30",
    ),
    (
        {"rollout": {"autoPromotionEnabled": "yes"}},
        "at '/rollout/autoPromotionEnabled': got string, want boolean",
    ),
    ({"autoscaling": {"minReplicas": 1}}, "at '/autoscaling/minReplicas': minimum: got 1, want 2"),
    ({"preStopSleepSeconds": 0}, "at '/preStopSleepSeconds': minimum: got 0, want 5"),
    ({"resources": {"limits": {"cpu": "1", "memory": "1GB"}}}, "at '/resources/limits/memory'"),
    (
        {"analysis": {"successRateThreshold": 1.5}},
        "at '/analysis/successRateThreshold': maximum: got 1.5, want 1",
    ),
    ({"purge": {"schedule": "daily"}}, "at '/purge/schedule': 'daily' does not match pattern"),
    (
        {"api": {"extraEnv": {"lower_case": "x"}}},
        "at '/api/extraEnv': additional properties 'lower_case' not allowed",
    ),
    ({"commonLabels": {"team": 7}}, "at '/commonLabels/team': got number, want string"),
    ({"api": {"logLevel": "TRACE"}}, "at '/api/logLevel'"),
    ({"replicas": 3}, "additional properties 'replicas' not allowed"),
    (
        {"rollout": {"autoPromote": True}},
        "at '/rollout': additional properties 'autoPromote' not allowed",
    ),
]

TEMPLATE_FAILURES = [
    ({"image": {"tag": ""}}, "image.tag is required: the git SHA the pipeline built"),
    ({"image": {"digest": ""}}, "image.digest is required: the sha256 digest of the pushed image"),
    (
        {"targetGroupBinding": {"targetGroupARN": ""}},
        "targetGroupBinding.targetGroupARN is required",
    ),
    ({"database": {"host": ""}}, "database.host is required: the RDS endpoint"),
    ({"database": {"secretId": ""}}, "database.secretId is required"),
    ({"database": {"cidrs": []}}, "database.cidrs is required"),
    ({"jwtSecret": {"secretId": ""}}, "jwtSecret.secretId is required"),
    ({"networkPolicy": {"ingressCIDRs": []}}, "networkPolicy.ingressCIDRs is required"),
    ({"networkPolicy": {"awsEndpointCIDRs": []}}, "networkPolicy.awsEndpointCIDRs is required"),
    (
        {"terminationGracePeriodSeconds": 40},
        "terminationGracePeriodSeconds (40) must be at least preStopSleepSeconds"
        " + gunicorn.gracefulTimeoutSeconds + 5 (50)",
    ),
    (
        {"autoscaling": {"minReplicas": 5, "maxReplicas": 3}},
        "autoscaling.minReplicas (5) must not exceed autoscaling.maxReplicas (3)",
    ),
    (
        {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"maxUnavailable": 2}},
        "autoscaling.minReplicas (2) must exceed podDisruptionBudget.maxUnavailable (2)",
    ),
    (
        {"api": {"extraEnv": {"DATABASE_URL": "postgresql://elsewhere/db"}}},
        "api.extraEnv.DATABASE_URL: the chart sets DATABASE_URL itself",
    ),
    ({"serviceMonitor": {"enabled": False}}, "analysis.enabled needs serviceMonitor.enabled"),
]


@pytest.mark.parametrize(
    ("override", "message"), SCHEMA_FAILURES, ids=[m for _, m in SCHEMA_FAILURES]
)
def test_schema_refuses_bad_values(override: dict[str, Any], message: str) -> None:
    with pytest.raises(helm_python.HelmValuesError) as caught:
        render_raw(merge(environment_values("prod"), override))
    assert "innovate-api:" in str(caught.value)  # names the chart
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("override", "message"), TEMPLATE_FAILURES, ids=[m for _, m in TEMPLATE_FAILURES]
)
def test_templates_refuse_missing_or_inconsistent_values(
    override: dict[str, Any], message: str
) -> None:
    with pytest.raises(helm_python.HelmRenderError, match=re.escape(message)):
        render_raw(merge(environment_values("prod"), override))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_an_environment_file_without_the_pipeline_values_is_refused(env: str) -> None:
    """The build's values are never defaulted: each is refused until the pipeline sets it."""
    values = environment_values(env, pipeline=False)
    for name, missing in [
        ("targetGroupBinding.targetGroupARN", {}),
        ("image.tag", {"targetGroupBinding": {"targetGroupARN": TARGET_GROUP_ARN}}),
        (
            "image.digest",
            {"targetGroupBinding": {"targetGroupARN": TARGET_GROUP_ARN}, "image": {"tag": GIT_SHA}},
        ),
    ]:
        with pytest.raises(helm_python.HelmRenderError, match=re.escape(f"{name} is required")):
            render_raw(merge(values, missing))


def test_every_default_value_is_typed_and_documented() -> None:
    """values.yaml, values.schema.json and the README's table cover the same keys."""
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Values\n", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([^`]+)` \| `([^`]*)` \|", table, re.M))
    documented = set(rows)

    def leaves(node: Any, prefix: str = "") -> set[str]:
        if isinstance(node, dict) and node and not _free_map(prefix):
            return set().union(
                *(leaves(v, f"{prefix}.{k}" if prefix else k) for k, v in node.items())
            )
        return {prefix}

    keys = leaves(values)
    assert keys == documented, f"README values table out of step: {sorted(keys ^ documented)}"
    for key in keys:
        default: Any = values
        for part in key.split("."):
            default = default[part]
        assert json.loads(rows[key]) == default, f"README shows a stale default for {key}"
        node = schema
        for part in key.split("."):
            assert part in node.get("properties", {}), f"{key} is not in values.schema.json"
            node = node["properties"][part]
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z]\w*):", line)
        if match and not _is_parent(lines, number) and not _in_free_map(lines, number):
            above = lines[number - 1].strip()
            assert above.startswith("# --") or (
                above.startswith("#") and _comment_block_has_doc(lines, number)
            ), f"values.yaml line {number + 1} ({match.group(2)}) has no `# --` comment"


# Maps whose keys are data (labels, env names), documented as one value.
_FREE_MAPS = {
    "commonLabels",
    "serviceAccount.annotations",
    "api.extraEnv",
    "resources",
    "nodeSelector",
    "networkPolicy.dnsPodLabels",
    "networkPolicy.prometheusPodLabels",
    "serviceMonitor.labels",
    "prometheusRule.alertLabels",
    "dashboard.labels",
    "analysis.smokeTest.resources",
    "migration.resources",
    "purge.resources",
}


def _free_map(prefix: str) -> bool:
    return prefix in _FREE_MAPS


def _path_at(lines: list[str], number: int) -> str:
    indent = len(lines[number]) - len(lines[number].lstrip())
    parts = [lines[number].strip().split(":")[0]]
    for line in reversed(lines[:number]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        own = len(line) - len(line.lstrip())
        if own < indent:
            parts.insert(0, stripped.split(":")[0])
            indent = own
    return ".".join(parts)


def _is_parent(lines: list[str], number: int) -> bool:
    line = lines[number]
    if line.rstrip().endswith(":"):
        return _path_at(lines, number) not in _FREE_MAPS
    return False


def _in_free_map(lines: list[str], number: int) -> bool:
    path = _path_at(lines, number)
    return any(path.startswith(m + ".") for m in _FREE_MAPS)


def _comment_block_has_doc(lines: list[str], number: int) -> bool:
    i = number - 1
    while i >= 0 and lines[i].strip().startswith("#"):
        if lines[i].strip().startswith("# --"):
            return True
        i -= 1
    return False
