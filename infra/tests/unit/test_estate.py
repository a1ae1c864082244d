"""The app: one stage per environment in the right account and region, stable stack
names, stateful and stateless stacks apart, compliance aspects on every stage."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Aspects, Stack
from innovate_infra.compliance.checks import (
    ApplyCheckovSkips,
    ApplyNagAcknowledgments,
    stages_under,
)
from innovate_infra.compliance.suppressions import ACKNOWLEDGMENTS, CHECKOV_SKIPS
from innovate_infra.config import EstateConfig
from innovate_infra.estate import load_context

from tests.conftest import Synth

STATEFUL_TYPES = {"AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::S3::Bucket", "AWS::RDS::DBInstance"}


def test_one_stage_per_environment_in_its_account_and_region(
    synth: Synth, estate: EstateConfig
) -> None:
    assert [stage.stage_name for stage in synth.stages] == ["dev", "staging", "prod"]
    for stage in synth.stages:
        env = estate.environment(stage.stage_name)
        assert stage.account == estate.account_id(env)
        assert stage.region == env.region
        for stack in stage.node.children:
            assert isinstance(stack, Stack)
            assert stack.account == stage.account
            assert stack.region == stage.region


def test_stack_names_and_ids_are_stable(synth: Synth) -> None:
    for stage in synth.stages:
        stacks = {child.node.id: child for child in stage.node.children if isinstance(child, Stack)}
        assert sorted(stacks) == ["Keys", "Logging", "Network"]
        for construct_id, stack in stacks.items():
            assert stack.stack_name == f"innovate-{stage.stage_name}-{construct_id.lower()}"


def test_stateful_resources_live_outside_the_network_stack(
    templates: dict[str, dict[str, Any]],
) -> None:
    for name, template in templates.items():
        types = {r["Type"] for r in template["Resources"].values()}
        if name.endswith("-network"):
            assert not types & STATEFUL_TYPES, name
        else:
            assert types <= STATEFUL_TYPES | {"AWS::KMS::Alias"}, name


def test_prod_stacks_are_termination_protected(synth: Synth) -> None:
    for stage in synth.stages:
        for stack in stage.node.children:
            assert isinstance(stack, Stack)
            assert stack.termination_protection is (stage.stage_name == "prod")


def test_every_stage_gets_the_compliance_aspects(synth: Synth) -> None:
    stages = stages_under(synth.app)
    assert len(stages) == 4  # the app and its three environment stages
    for stage in stages:
        kinds = {type(aspect) for aspect in Aspects.of(stage).all}
        assert {ApplyNagAcknowledgments, ApplyCheckovSkips} <= kinds, stage.node.path


def test_context_holds_every_availability_zone_lookup(estate: EstateConfig) -> None:
    """cdk.context.json must answer the AZ lookup of every account and region, so synth
    needs no credentials (the CLI test proves it with --no-lookups)."""
    context = load_context()
    for env in estate.environments.values():
        key = f"availability-zones:account={estate.account_id(env)}:region={env.region}"
        assert key in context, key
        assert set(env.availability_zones) <= set(context[key])


@pytest.mark.parametrize("ack", ACKNOWLEDGMENTS, ids=lambda a: a.rule_ids[0])
def test_acknowledgments_are_explained(ack: Any) -> None:
    assert len(ack.reason) >= 200, "an acknowledgment needs a reason an auditor can check"
    for rule_id in ack.rule_ids:
        assert re.fullmatch(
            r"(AwsSolutions|NIST\.800\.53\.R5|HIPAA\.Security)::\1-[A-Za-z0-9]+(\[.+\])?", rule_id
        )


@pytest.mark.parametrize("skip", CHECKOV_SKIPS, ids=lambda s: s.check_id)
def test_checkov_skips_are_explained(skip: Any) -> None:
    assert re.fullmatch(r"CKV2?_AWS_\d+", skip.check_id)
    assert len(skip.reason) >= 200


def test_every_acknowledgment_and_skip_is_used(synth: Synth) -> None:
    """A suppression that matches nothing is stale: remove it. The whole app is searched:
    the environment stages and the top-level management and security/logs stacks."""
    nodes = synth.app.node.find_all()
    for ack in ACKNOWLEDGMENTS:
        assert any(ack.matcher.matches(n) for n in nodes), ack.matcher.description
    for skip in CHECKOV_SKIPS:
        assert any(skip.matcher.matches(n) for n in nodes), skip.matcher.description
