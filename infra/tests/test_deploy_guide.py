"""docs/deploy.md agrees with the code: every stack name, CDK stack path, make target and
config key it names exists (the guide is parsed, not trusted)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from innovate_infra.app import INFRA_DIR
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming

from tests.conftest import Synth

ROOT = INFRA_DIR.parent
GUIDE = ROOT / "docs" / "deploy.md"
TEXT = GUIDE.read_text(encoding="utf-8")

STACK_NAME = re.compile(r"\binnovate-(?:management|security|dev|staging|prod)-[a-z0-9-]*[a-z0-9]")
STACK_PATH = re.compile(r"(?<![\w/.-])((?:accounts|dev|staging|prod)/[A-Z][A-Za-z0-9]+)")
CONFIG_KEY = re.compile(
    r"`((?:organization|accounts/accounts|environments/[a-z]+)\.yaml):([A-Za-z0-9_.]+)`"
)
MAKE = re.compile(r"\bmake ([a-z][a-z0-9-]*)")


def code_spans(text: str) -> list[str]:
    """Inline code and fenced blocks: where the guide writes commands."""
    fenced = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    rest = re.sub(r"```[a-z]*\n.*?```", "", text, flags=re.S)
    return fenced + re.findall(r"`([^`\n]+)`", rest)


def all_stacks(*synths: Synth) -> list[cdk.Stack]:
    return [
        stack
        for synth in synths
        for stage in (*synth.built.environments, synth.accounts)
        for stack in stage.stacks()
    ]


def test_the_guide_names_only_existing_stacks(synth: Synth, synth_lake: Synth) -> None:
    stacks = all_stacks(synth, synth_lake)
    names = {s.stack_name for s in stacks}
    naming = Naming(synth.platform)
    # Names in the guide that are not stacks, each derived where the code derives it.
    other = {
        naming.stack_name("management", "imported-account-access"),  # the access-role StackSet
        naming.delivery_pipeline_role_arns()[0].rsplit("/", 1)[1].rstrip("*"),  # pipeline role
    }
    found = set(STACK_NAME.findall(TEXT))
    assert found, "the guide names no stack"
    assert found - names - other == set()


def test_the_guide_names_only_existing_stack_paths(synth: Synth, synth_lake: Synth) -> None:
    paths = {s.node.path for s in all_stacks(synth, synth_lake)}
    found = set(STACK_PATH.findall(TEXT))
    assert {"accounts/ManagementOrganization", "accounts/ManagementCost"} <= found
    assert found - paths == set()


def _targets() -> set[str]:
    makefiles = [ROOT / "Makefile", *ROOT.glob("**/*.mk")]
    targets: set[str] = set()
    for path in makefiles:
        if "node_modules" in path.parts:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([a-z][a-z0-9-]*(?:\s+[a-z][a-z0-9-]*)*)\s*:(?!=)", line)
            if match:
                targets.update(match.group(1).split())
    return targets


def test_the_guide_names_only_existing_make_targets() -> None:
    used = {t for span in code_spans(TEXT) for t in MAKE.findall(span)}
    for target in ("preflight", "diff", "diff-accounts", "destroy", "cost", "import-accounts"):
        assert target in used, target
    assert used - _targets() == set()


def _resolve(platform: PlatformConfig, file: str, key: str) -> Any:
    node: Any
    if file == "organization.yaml":
        node = platform.organization
    elif file == "accounts/accounts.yaml":
        node = platform.accounts
    else:
        node = platform.environments[Path(file).stem]
    for part in key.split("."):
        if isinstance(node, dict):
            assert part in node, f"{file}:{key}: no {part!r}"
            node = node[part]
        else:
            assert part in type(node).model_fields, f"{file}:{key}: no field {part!r}"
            node = getattr(node, part)
    return node


def test_the_guide_names_only_existing_config_keys(platform: PlatformConfig) -> None:
    keys = CONFIG_KEY.findall(TEXT)
    assert len(keys) > 20
    for file, key in keys:
        _resolve(platform, file, key)


@pytest.mark.parametrize(
    "doc", ["README.md", "docs/infrastructure.md", "docs/accounts.md", "docs/architecture.md"]
)
def test_the_other_docs_point_to_the_guide(doc: str) -> None:
    """One guide: the others link to it instead of repeating the deploy commands."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert "deploy.md" in text
    assert "cdk bootstrap aws://" not in text, f"{doc} repeats bootstrap commands"
