"""Stack names and logical ids are a contract: a refactor that changes a logical id makes
CloudFormation replace the resource (a new key, an emptied log group, a new VPC), and a
renamed stack is a new stack. Both are frozen since issue #7.

``stable_ids.json`` is the committed snapshot of every stack of the committed
configuration, plus the Security Lake stack of the lake-on variant:
its name, its path in the app and every logical id with its type. Any difference fails.
Change it only together with a migration plan: regenerate it with
``INFRA_UPDATE_STABLE_IDS=1 make infra-test`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from tests.conftest import Synth

SNAPSHOT = Path(__file__).with_name("stable_ids.json")

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
    "network": {"NetworkEgressFirewallFirewall1CE41FA6B": "AWS::NetworkFirewall::Firewall"},
}
# Firewalls 2 and 3 exist where the endpoint layout is per_az (prod); dev and staging
# run one endpoint (issue #8 item 10: staging's Firewall2/3 were removed on purpose).
PER_AZ_FIREWALLS = {
    "NetworkEgressFirewallFirewall2B714927F": "AWS::NetworkFirewall::Firewall",
    "NetworkEgressFirewallFirewall3258DEFCE": "AWS::NetworkFirewall::Firewall",
}


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
@pytest.mark.parametrize("purpose", ["keys", "logging", "network"])
def test_logical_ids_do_not_change(
    templates: dict[str, dict[str, Any]], env_name: str, purpose: str
) -> None:
    resources = templates[f"innovate-{env_name}-{purpose}"]["Resources"]
    expected = dict(STABLE_IDS[purpose])
    expected.update(FIREWALLED.get(purpose, {}))
    if env_name == "prod" and purpose == "network":
        expected.update(PER_AZ_FIREWALLS)
    for logical_id, cfn_type in expected.items():
        assert logical_id in resources, (
            f"{logical_id} ({cfn_type}) disappeared: it would be replaced"
        )
        assert resources[logical_id]["Type"] == cfn_type


def _stable(logical_id: str, cfn_type: str) -> str:
    """API Gateway deployments are immutable: CDK names each by a hash of the API so that
    a changed API gets a new one (the stage then points at it). The hash is left out."""
    if cfn_type == "AWS::ApiGateway::Deployment":
        return re.sub(r"[0-9a-f]{32,}$", "", logical_id)
    return logical_id


def snapshot_of(*synths: Synth) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for synth in synths:
        stacks = [s for stage in synth.built.stages() for s in stage.stacks()]
        for stack in stacks:
            path = synth.outdir / f"assembly-{cdk.Stage.of(stack).stage_name}" / stack.template_file  # type: ignore[union-attr]
            resources = json.loads(path.read_text(encoding="utf-8"))["Resources"]
            # The default build wins; a variant adds only the stacks it alone has.
            result.setdefault(
                stack.stack_name,
                {
                    "path": stack.node.path,
                    "resources": {
                        _stable(lid, r["Type"]): r["Type"] for lid, r in sorted(resources.items())
                    },
                },
            )
    return dict(sorted(result.items()))


def test_every_stack_name_and_logical_id_is_frozen(synth: Synth, synth_lake: Synth) -> None:
    current = snapshot_of(synth, synth_lake)
    if os.environ.get("INFRA_UPDATE_STABLE_IDS") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n", encoding="utf-8")
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(current) == sorted(committed), "a stack was added, removed or renamed"
    for name, expected in committed.items():
        found = current[name]
        assert found["path"] == expected["path"], f"{name} moved in the app"
        added = sorted(set(found["resources"]) - set(expected["resources"]))
        removed = sorted(set(expected["resources"]) - set(found["resources"]))
        assert not removed, f"{name}: logical ids gone (replaced resources): {removed}"
        assert not added, f"{name}: new logical ids (update the snapshot if intended): {added}"
        assert found["resources"] == expected["resources"], f"{name}: a resource changed type"
