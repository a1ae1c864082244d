"""Monitoring: the ServiceMonitor scrapes each pod once, and every metric the alerts,
the analysis and the dashboard query is one the API really exports (metrics.py) or a
standard one (kube-state-metrics, Prometheus' `up`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chart import NAMESPACE, by_kind, one

METRICS_PY = (
    Path(__file__).resolve().parents[3] / "services" / "api" / "src" / "innovate_api" / "metrics.py"
)
STANDARD = {
    "up",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_pod_container_status_restarts_total",
}
# Labels Prometheus adds to every series scraped through the ServiceMonitor.
TARGET_LABELS = {
    "namespace",
    "service",
    "pod",
    "container",
    "job",
    "instance",
    "endpoint",
    "rollouts_pod_template_hash",
    "le",
}


def exported() -> dict[str, set[str]]:
    """Series name -> label names, from the API's metric definitions."""
    source = METRICS_PY.read_text(encoding="utf-8")
    series: dict[str, set[str]] = {}
    for kind, name, rest in re.findall(
        r'(Histogram|Gauge|Counter)\(\s*"(\w+)",\s*"[^"]*",?\s*(\[[^\]]*\])?', source
    ):
        labels = set(re.findall(r'"(\w+)"', rest or ""))
        if kind == "Histogram":
            for suffix in ("_bucket", "_count", "_sum"):
                series[name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
        elif kind == "Counter":
            series[name + "_total"] = labels
        else:
            series[name] = labels
    assert {"http_request_duration_seconds_count", "db_pool_connections"} <= set(series), (
        "metrics.py changed shape"
    )
    return series


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric, label names) of every `metric{...}` selector in a PromQL expression."""
    found = []
    for name, body in re.findall(r"([a-z_:][a-z0-9_:]*)\{([^}]*)\}", expr):
        found.append((name, set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", body))))
    return found


def queries(docs: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for group in one(docs, "PrometheusRule")["spec"]["groups"]:
        for rule in group["rules"]:
            out[f"alert {rule['alert']}"] = rule["expr"]
    for metric in one(docs, "AnalysisTemplate")["spec"]["metrics"]:
        if "prometheus" in metric["provider"]:
            out[f"analysis {metric['name']}"] = metric["provider"]["prometheus"]["query"]
    dashboard = json.loads(one(docs, "ConfigMap")["data"]["innovate-api.json"])
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            out[f"panel {panel['title']}"] = target["expr"]
    return out


def test_every_queried_metric_and_label_exists(docs: list[dict[str, Any]]) -> None:
    series = exported()
    for where, expr in queries(docs).items():
        found = selectors(expr)
        assert found, f"{where}: no metric selector in {expr!r}"
        for name, labels in found:
            if name in STANDARD:
                continue
            assert name in series, f"{where}: the API exports no {name}"
            unknown = labels - series[name] - TARGET_LABELS
            assert not unknown, f"{where}: {name} has no label {sorted(unknown)}"


def test_alerts_cover_errors_latency_saturation_and_restarts(docs: list[dict[str, Any]]) -> None:
    rules = {
        r["alert"]: r for g in one(docs, "PrometheusRule")["spec"]["groups"] for r in g["rules"]
    }
    assert set(rules) == {
        "InnovateApiHighErrorRate",
        "InnovateApiHighLatency",
        "InnovateApiDatabasePoolSaturated",
        "InnovateApiRequestsWaitingForDatabase",
        "InnovateApiAutoscalerAtMaximum",
        "InnovateApiPodRestarting",
        "InnovateApiNoTargets",
    }
    assert 'status=~"5.."' in rules["InnovateApiHighErrorRate"]["expr"]
    assert "histogram_quantile(0.95" in rules["InnovateApiHighLatency"]["expr"]
    assert 'state="in_use"' in rules["InnovateApiDatabasePoolSaturated"]["expr"]
    assert "kube_pod_container_status_restarts_total" in rules["InnovateApiPodRestarting"]["expr"]
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name


def test_service_monitor_scrapes_each_pod_once(docs: list[dict[str, Any]]) -> None:
    monitor = one(docs, "ServiceMonitor")
    spec = monitor["spec"]
    matched = [
        s
        for s in by_kind(docs, "Service")
        if spec["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert [s["metadata"]["name"] for s in matched] == ["innovate-api-metrics"]
    (endpoint,) = spec["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {p["name"] for p in matched[0]["spec"]["ports"]}
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert spec["podTargetLabels"] == ["rollouts-pod-template-hash"]
    # kube-prometheus-stack selects ServiceMonitors and rules by its release label.
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert one(docs, "PrometheusRule")["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_dashboard_is_loaded_by_the_grafana_sidecar(env: str, docs: list[dict[str, Any]]) -> None:
    config_map = one(docs, "ConfigMap")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["innovate-api.json"])
    assert dashboard["title"] == f"Innovate API ({env})"
    assert dashboard["uid"] == f"innovate-api-{env}"
    constants = {
        v["name"]: v["query"] for v in dashboard["templating"]["list"] if v["type"] == "constant"
    }
    assert constants == {"namespace": NAMESPACE, "service": "innovate-api-metrics"}
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for needed in (
        "http_request_duration_seconds_count",
        'status=~"5.."',
        "histogram_quantile(0.5,",
        "histogram_quantile(0.95,",
        "histogram_quantile(0.99,",
        "db_pool_connections",
        "db_pool_requests_waiting",
    ):
        assert needed in exprs, needed
    assert "__" not in json.dumps(dashboard).replace("$__rate_interval", ""), (
        "a placeholder was not replaced"
    )
