"""Shared fixtures: the estate is loaded and synthesized ONCE per test session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stage
from innovate_infra.config import EstateConfig, load_estate
from innovate_infra.estate import INFRA_DIR, build_estate, create_app

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

CONFIG_DIR = INFRA_DIR / "config"


@dataclass
class Synth:
    app: App
    stages: list[Stage]
    outdir: Path

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.rglob("*.template.json"))


@pytest.fixture(scope="session")
def estate() -> EstateConfig:
    return load_estate(CONFIG_DIR)


@pytest.fixture(scope="session")
def synth(estate: EstateConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = create_app(outdir=outdir)
    stages = build_estate(app, estate)
    app.synth(validate_on_synthesis=True)
    return Synth(app, stages, outdir)


@pytest.fixture(scope="session")
def templates(synth: Synth) -> dict[str, dict[str, Any]]:
    """Every template of the session synth, keyed by stack name (e.g. innovate-dev-network)."""
    result: dict[str, dict[str, Any]] = {}
    for stage in synth.stages:
        for stack in stage.node.children:
            if hasattr(stack, "stack_name") and hasattr(stack, "template_file"):
                path = synth.outdir / f"assembly-{stage.stage_name}" / stack.template_file
                result[stack.stack_name] = json.loads(path.read_text(encoding="utf-8"))
    return result
