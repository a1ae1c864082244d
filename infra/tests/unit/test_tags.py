"""Tagging standard: every taggable resource of every template carries the five tags."""

from __future__ import annotations

from functools import cache
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from innovate_infra.config import REQUIRED_TAG_KEYS, EstateConfig

from tests.conftest import Synth


@cache
def taggable(cfn_type: str, region: str) -> bool:
    """Whether CloudFormation lets this resource type carry tags (from the provider schema)."""
    if cfn_type.startswith("Custom::"):
        return False
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, cfn_type).schema
    return bool(schema.get("tagging", {}).get("taggable")) and "Tags" in schema.get(
        "properties", {}
    )


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    tags = resource.get("Properties", {}).get("Tags", [])
    if isinstance(tags, dict):  # map-style tags (a few resource types)
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags}


def test_every_taggable_resource_carries_the_standard_tags(
    synth: Synth, estate: EstateConfig
) -> None:
    checked = 0
    missing: list[str] = []
    for stage in synth.stages:
        env = estate.environment(stage.stage_name)
        expected = estate.tags(env)
        assert sorted(expected) == sorted(REQUIRED_TAG_KEYS)
        for path in sorted((synth.outdir / f"assembly-{stage.stage_name}").glob("*.template.json")):
            import json

            template = json.loads(path.read_text())
            for logical_id, resource in template["Resources"].items():
                if not taggable(resource["Type"], env.region):
                    continue
                checked += 1
                tags = tags_of(resource)
                wrong = {k: tags.get(k) for k, v in expected.items() if tags.get(k) != v}
                if wrong:
                    missing.append(f"{path.name}/{logical_id} ({resource['Type']}): {wrong}")
    assert not missing, "resources without the standard tags:\n" + "\n".join(missing)
    assert checked > 50


def test_tag_values_come_from_the_tag_standard(estate: EstateConfig) -> None:
    standard = estate.organization.tag_standard
    for env in estate.environments.values():
        tags = estate.tags(env)
        assert tags["Environment"] in standard.environments
        assert tags["DataClassification"] in standard.data_classifications
    assert estate.tags(estate.environment("prod"))["DataClassification"] == "restricted"
