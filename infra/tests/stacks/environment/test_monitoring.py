"""Monitoring stack (issue #8 item 9, the firewall part): every environment has an
encrypted alarm topic mailing its alarm address, and an alarm on Network Firewall's
blocked flows. The topic's and key's policies are evaluated in ``test_policies.py``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from innovate_infra.config import PlatformConfig

from tests.helpers import ref, resources_of

Templates = dict[str, dict[str, Any]]
ENVIRONMENTS = ["dev", "staging", "prod"]

# A Network Firewall alert log record (the documented JSON shape: firewall_name,
# availability_zone, event_timestamp, event{event_type, alert{action, signature...}}).
BLOCKED = {
    "firewall_name": "innovate-prod-egress-a",
    "availability_zone": "eu-west-1a",
    "event_timestamp": "1764600000",
    "event": {
        "event_type": "alert",
        "src_ip": "10.30.16.10",
        "dest_ip": "203.0.113.9",
        "proto": "TCP",
        "alert": {"action": "blocked", "signature_id": 5, "signature": "aws:alert_established"},
    },
}
ALLOWED_FLOW = {**BLOCKED, "event": {**BLOCKED["event"], "alert": {"action": "allowed"}}}


def matches(pattern: str, record: dict[str, Any]) -> bool:
    """CloudWatch Logs JSON filter patterns of the form
    ``{ ($.a.b = "x") && ($.c = "y") }``: every clause must hold."""
    clauses = re.findall(r'\$\.([\w.]+)\s*=\s*"([^"]*)"', pattern)
    assert clauses, pattern
    assert "||" not in pattern
    for path, expected in clauses:
        value: Any = record
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value != expected:
            return False
    return True


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_alarm_topic_is_encrypted_and_mails_the_environment(
    templates: Templates, platform: PlatformConfig, env_name: str
) -> None:
    template = templates[f"innovate-{env_name}-monitoring"]
    [topic] = resources_of(template, "AWS::SNS::Topic").values()
    key = topic["Properties"]["KmsMasterKeyId"]["Fn::ImportValue"]
    assert key.startswith(f"innovate-{env_name}-keys:")
    assert "AlarmsKey" in key
    [subscription] = resources_of(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == platform.environment(env_name).alarm_email


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_firewall_blocked_flows_raise_an_alarm(templates: Templates, env_name: str) -> None:
    template = templates[f"innovate-{env_name}-monitoring"]
    [metric_filter] = resources_of(template, "AWS::Logs::MetricFilter").values()
    group = metric_filter["Properties"]["LogGroupName"]["Fn::ImportValue"]
    assert group.startswith(f"innovate-{env_name}-logging:")
    assert "NetworkFirewallAlerts" in group
    pattern = metric_filter["Properties"]["FilterPattern"]
    assert matches(pattern, BLOCKED)
    assert not matches(pattern, ALLOWED_FLOW)
    assert not matches(pattern, {**BLOCKED, "event": {**BLOCKED["event"], "event_type": "netflow"}})
    [transformation] = metric_filter["Properties"]["MetricTransformations"]
    # The database alarms (test_database.py) share the stack; this one counts a log metric.
    [alarm] = [
        a
        for a in resources_of(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") != "AWS/RDS"
    ]
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert props["Threshold"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    [topic_id] = resources_of(template, "AWS::SNS::Topic")
    assert [ref(a) for a in props["AlarmActions"]] == [topic_id]
    # The alarm's name is inside the pattern the topic and key admit (test_policies.py).
    assert props["AlarmName"].startswith(f"innovate-{env_name}-")


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_firewall_alert_log_group_is_the_one_the_firewalls_log_to(
    templates: Templates, env_name: str
) -> None:
    network = templates[f"innovate-{env_name}-network"]
    monitoring = templates[f"innovate-{env_name}-monitoring"]
    [metric_filter] = resources_of(monitoring, "AWS::Logs::MetricFilter").values()
    watched = metric_filter["Properties"]["LogGroupName"]["Fn::ImportValue"]
    for config in resources_of(network, "AWS::NetworkFirewall::LoggingConfiguration").values():
        [alert] = [
            d
            for d in config["Properties"]["LoggingConfiguration"]["LogDestinationConfigs"]
            if d["LogType"] == "ALERT"
        ]
        assert alert["LogDestination"]["logGroup"]["Fn::ImportValue"] == watched
