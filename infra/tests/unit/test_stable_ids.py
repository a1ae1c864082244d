"""Logical ids of stateful and hard-to-replace resources are a contract: a refactor that
changes one makes CloudFormation replace the resource (a new key, an emptied log group, a
new VPC). Change this list only together with a migration plan."""

from __future__ import annotations

from typing import Any

import pytest

STABLE_IDS: dict[str, dict[str, str]] = {
    "keys": {
        "LogsKeyFE4C4A83": "AWS::KMS::Key",
        "DataKey2A0DE9E6": "AWS::KMS::Key",
        "SecretsKey0D2EC683": "AWS::KMS::Key",
        "ClusterKey1BA00A53": "AWS::KMS::Key",
    },
    "logging": {"VpcFlowLogsLogGroup488F11F2": "AWS::Logs::LogGroup"},
    "network": {"NetworkVpc7FB7348F": "AWS::EC2::VPC"},
}
FIREWALLED = {
    "logging": {"NetworkFirewallAlertsLogGroupC1B11CFA": "AWS::Logs::LogGroup"},
    "network": {
        "NetworkEgressFirewallFirewall1CE41FA6B": "AWS::NetworkFirewall::Firewall",
        "NetworkEgressFirewallFirewall2B714927F": "AWS::NetworkFirewall::Firewall",
        "NetworkEgressFirewallFirewall3258DEFCE": "AWS::NetworkFirewall::Firewall",
    },
}


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
@pytest.mark.parametrize("purpose", ["keys", "logging", "network"])
def test_logical_ids_do_not_change(
    templates: dict[str, dict[str, Any]], env_name: str, purpose: str
) -> None:
    resources = templates[f"innovate-{env_name}-{purpose}"]["Resources"]
    expected = dict(STABLE_IDS[purpose])
    if env_name != "dev":
        expected.update(FIREWALLED.get(purpose, {}))
    for logical_id, cfn_type in expected.items():
        assert logical_id in resources, (
            f"{logical_id} ({cfn_type}) disappeared: it would be replaced"
        )
        assert resources[logical_id]["Type"] == cfn_type
