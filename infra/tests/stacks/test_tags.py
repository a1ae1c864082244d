"""Tagging standard: every taggable resource of every template carries the five tags."""

from __future__ import annotations

from innovate_infra.config import PlatformConfig
from innovate_infra.config.organization import REQUIRED_TAG_KEYS

from tests.conftest import Synth
from tests.helpers import taggable, tags_of


def test_every_taggable_resource_carries_the_standard_tags(
    synth: Synth, platform: PlatformConfig
) -> None:
    checked = 0
    missing: list[str] = []
    for stage in synth.built.environments:
        env = platform.environment(stage.stage_name)
        expected = platform.tags(env)
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


def test_tag_values_come_from_the_tag_standard(platform: PlatformConfig) -> None:
    standard = platform.organization.tag_standard
    for env in platform.environments.values():
        tags = platform.tags(env)
        assert tags["Environment"] in standard.environments
        assert tags["DataClassification"] in standard.data_classifications
    assert platform.tags(platform.environment("prod"))["DataClassification"] == "restricted"
