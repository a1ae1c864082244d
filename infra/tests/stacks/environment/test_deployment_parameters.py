"""The delivery contract (naming.DEPLOYMENT_PARAMETERS): every value the deploy step
reads (deploy/scripts) is published exactly once per environment, by the stack that owns
it, in the region the deploy step reads it from; and the scripts read nothing else."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from innovate_infra.naming import (
    DEPLOYMENT_PARAMETERS,
    EDGE_DEPLOYMENT_PARAMETERS,
    EDGE_REGION,
    RUNNER_DEPLOYMENT_PARAMETERS,
    Naming,
)

from tests.conftest import Synth
from tests.helpers import resources_of

SCRIPTS = Path(__file__).resolve().parents[4] / "deploy" / "scripts"


def published(synth: Synth, templates: dict[str, dict[str, Any]], env: str) -> dict[str, str]:
    """Parameter name -> region of the stack that publishes it."""
    out: dict[str, str] = {}
    for stage in synth.built.environments:
        if stage.stage_name != env:
            continue
        for stack in stage.stacks():
            template = templates[stack.stack_name]
            for parameter in resources_of(template, "AWS::SSM::Parameter").values():
                name = parameter["Properties"].get("Name")
                if isinstance(name, str) and "/deploy/" in name:
                    assert name not in out, f"{name} is published twice"
                    out[name] = stack.region
    return out


def test_every_deploy_parameter_is_published_once_in_its_region(
    synth: Synth, templates: dict[str, dict[str, Any]], naming: Naming
) -> None:
    for stage in synth.built.environments:
        env = stage.stage_name
        found = published(synth, templates, env)
        expected = {
            naming.deployment_parameter_name(env, key): key for key in DEPLOYMENT_PARAMETERS
        }
        assert set(found) == set(expected), env
        home = stage.network.region
        for name, key in expected.items():
            assert found[name] == naming.deployment_parameter_region(key, home), name
        assert {
            k
            for k in DEPLOYMENT_PARAMETERS
            if found[naming.deployment_parameter_name(env, k)] != home
        } == set(EDGE_DEPLOYMENT_PARAMETERS)


def test_the_deploy_scripts_read_only_published_keys_and_know_the_edge_region() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in SCRIPTS.glob("*.sh"))
    read = set(re.findall(r"\$\(parameter ([a-z-]+)\)", text))
    assert read, "the scripts read no parameter: the pattern no longer matches them"
    assert read <= set(DEPLOYMENT_PARAMETERS), sorted(read - set(DEPLOYMENT_PARAMETERS))
    # The runner's network is read by CloudFormation (the delivery stacks), not the scripts.
    assert read == set(DEPLOYMENT_PARAMETERS) - RUNNER_DEPLOYMENT_PARAMETERS, sorted(read)
    [edge_case] = re.findall(r"^\s*([a-z|-]+)\) region=\$EDGE_REGION", text, flags=re.M)
    assert set(edge_case.split("|")) == set(EDGE_DEPLOYMENT_PARAMETERS)
    assert re.search(rf"^EDGE_REGION={EDGE_REGION}$", text, flags=re.M)
