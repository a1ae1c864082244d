"""Issue #8 item 13: cross-stack references are strong (CloudFormation Export /
Fn::ImportValue), which CloudFormation tracks: it refuses to change or delete an export
while a stack imports it, so a producer change can never leave a consumer silently on a
stale value, as ``Fn::GetStackOutput`` (weak) would."""

from __future__ import annotations

import json
from typing import Any

from innovate_infra.app import INFRA_DIR

from tests.conftest import Synth

FLAG = "@aws-cdk/core:defaultCrossStackReferences"


def walk(value: Any, name: str) -> list[Any]:
    found: list[Any] = []
    if isinstance(value, dict):
        if name in value:
            found.append(value[name])
        for inner in value.values():
            found += walk(inner, name)
    elif isinstance(value, list):
        for inner in value:
            found += walk(inner, name)
    return found


def test_the_app_uses_strong_references() -> None:
    context = json.loads((INFRA_DIR / "cdk.json").read_text(encoding="utf-8"))["context"]
    assert context[FLAG] == "strong"


def test_no_template_reads_another_stacks_output_weakly(
    templates: dict[str, dict[str, Any]],
) -> None:
    weak = {name: walk(t, "Fn::GetStackOutput") for name, t in templates.items()}
    assert {name: refs for name, refs in weak.items() if refs} == {}


def test_every_import_is_exported_by_an_earlier_stack_of_the_same_stage(synth: Synth) -> None:
    stages = synth.built.stages()
    templates = synth.templates()
    checked = 0
    for stage in stages:
        stacks = stage.stacks()
        exporters: dict[str, str] = {}
        for stack in stacks:
            for output in templates[stack.stack_name].get("Outputs", {}).values():
                export = output.get("Export", {}).get("Name")
                if isinstance(export, str):
                    exporters[export] = stack.stack_name
        for stack in stacks:
            for imported in walk(templates[stack.stack_name], "Fn::ImportValue"):
                assert isinstance(imported, str), (stack.stack_name, imported)
                producer = exporters.get(imported)
                assert producer is not None, f"{stack.stack_name} imports unknown {imported}"
                assert producer != stack.stack_name
                dependencies = {d.stack_name for d in stack.dependencies}
                assert producer in dependencies, f"{stack.stack_name} -> {producer}"
                checked += 1
    assert checked >= 10
