"""`helm lint --strict` (helm-python-sdk) for every environment, against the cluster's
Kubernetes version: warnings are errors."""

from __future__ import annotations

import helm_python
import pytest

from chart import CHART, ENVIRONMENTS, KUBERNETES_VERSION, NAMESPACE, environment_values


def lint(values: dict) -> dict:  # type: ignore[type-arg]
    return helm_python.lint(
        CHART, values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBERNETES_VERSION}"
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_lint_is_clean(env: str) -> None:
    report = lint(environment_values(env))
    assert report["total_charts_linted"] == 1
    assert report["errors"] == []
    # Only INFO remains: Helm recommends an icon, and the chart has no public one.
    assert [m for m in report["messages"] if m["severity"] > 1] == []
    assert {m["error"] for m in report["messages"]} <= {"icon is recommended"}


def test_lint_reports_bad_values() -> None:
    values = environment_values("prod")
    values["image"]["tag"] = "latest"
    report = lint(values)
    assert any("at '/image/tag': 'latest' does not match pattern" in e for e in report["errors"])
