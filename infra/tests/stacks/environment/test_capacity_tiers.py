"""docs/capacity.md's four tiers are configuration only: each tier's overrides of prod
(``tiers/*.yaml``) load, synthesize prod's stage and pass the gates (cdk-nag inside the
synth, cfn-lint and checkov over its templates). One stage per tier."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from innovate_infra.app import create_app
from innovate_infra.compliance import gates
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.compliance.suppressions import registry
from innovate_infra.config import load_platform
from innovate_infra.naming import Naming
from innovate_infra.stages import EnvironmentStage

from tests.conftest import CONFIG_DIR
from tests.stacks.accounts.test_stage import checkov_binary
from tests.stacks.environment.cluster_templates import manifests

TIERS_DIR = Path(__file__).parent / "tiers"
TIERS = sorted(TIERS_DIR.glob("tier-*.yaml"))
CAPACITY_DOC = Path(__file__).resolve().parents[4] / "docs" / "capacity.md"


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def test_there_are_four_tiers_and_the_capacity_page_names_them() -> None:
    assert [t.name for t in TIERS] == [
        "tier-1-hundreds.yaml",
        "tier-2-10k.yaml",
        "tier-3-100k.yaml",
        "tier-4-millions.yaml",
    ]
    text = CAPACITY_DOC.read_text(encoding="utf-8")
    for tier in TIERS:
        assert tier.name in text


@pytest.mark.slow
@pytest.mark.parametrize("tier", TIERS, ids=lambda p: p.stem)
def test_tier_synthesizes_and_passes_the_gates(tier: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    prod_file = config / "environments" / "prod.yaml"
    prod = merge(yaml.safe_load(prod_file.read_text()), yaml.safe_load(tier.read_text()))
    prod_file.write_text(yaml.safe_dump(prod))
    platform = load_platform(config, only=["prod"])
    env = platform.environment("prod")
    overrides = yaml.safe_load(tier.read_text())
    assert (
        env.cluster.karpenter.baseline.cpu_limit
        == overrides["cluster"]["karpenter"]["baseline"]["cpu_limit"]
    )
    assert env.database.instance_class == overrides["database"]["instance_class"]

    outdir = tmp_path / "cdk.out"
    app = create_app(outdir=outdir)
    naming = Naming(platform)
    stage = EnvironmentStage(app, platform=platform, naming=naming, env=env)
    suppressions = registry(naming)
    enable_compliance(app, suppressions)
    app.synth(validate_on_synthesis=True)  # cdk-nag: any unacknowledged finding raises

    template = json.loads((outdir / "assembly-prod" / stage.cluster.template_file).read_text())
    pools = {o["metadata"]["name"]: o for o in manifests(template) if o["kind"] == "NodePool"}
    baseline = env.cluster.karpenter.baseline
    assert pools["baseline"]["spec"]["limits"] == {
        "cpu": str(baseline.cpu_limit),
        "memory": f"{baseline.memory_limit_gib}Gi",
    }
    for result in (
        gates.nag_gate(outdir, suppressions),
        gates.cfn_lint_gate(outdir),
        gates.checkov_gate(outdir, checkov_binary(), suppressions=suppressions),
    ):
        assert result.passed, result.render()
