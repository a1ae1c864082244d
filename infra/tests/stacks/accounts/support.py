"""Helpers of the account-stack tests: follow CDK's cross-stack references to what
they name, and read the synthesized policies the behaviour tests evaluate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from innovate_infra.compliance.policy_eval import TemplateContext, resolve

VENDORED = Path(__file__).resolve().parent / "aws_managed_policies"


def produced_value(templates: Mapping[str, dict[str, Any]], value: Any) -> Any:
    """The producer-side value an ``Fn::ImportValue`` reads (the exporting output's
    ``Value``); fails if ``value`` is not such a reference or no stack exports it."""
    assert isinstance(value, dict), value
    assert set(value) == {"Fn::ImportValue"}, value
    export = value["Fn::ImportValue"]
    [produced] = [
        output["Value"]
        for template in templates.values()
        for output in template.get("Outputs", {}).values()
        if output.get("Export", {}).get("Name") == export
    ]
    return produced


def resources(template: Mapping[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == cfn_type}


def logical_id(template: Mapping[str, Any], cfn_type: str, path_suffix: str) -> str:
    """The logical id of the one resource of ``cfn_type`` whose CDK path ends so."""
    [found] = [
        k
        for k, r in resources(template, cfn_type).items()
        if r.get("Metadata", {}).get("aws:cdk:path", "").endswith(path_suffix)
    ]
    return found


def managed_policy(name: str) -> dict[str, Any]:
    """An AWS managed policy document vendored under ``aws_managed_policies/``."""
    document: dict[str, Any] = json.loads((VENDORED / f"{name}.json").read_text())["document"]
    return document


def resolved(value: Any, ctx: TemplateContext) -> Any:
    return resolve(value, ctx)
