"""The one suppressions registry: every entry explained, declared once, in its family,
and used by the synthesized app (a suppression that matches nothing is stale)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from innovate_infra.compliance.suppressions import FAMILIES, registry
from innovate_infra.config import load_platform
from innovate_infra.naming import Naming

from tests.conftest import CONFIG_DIR, Synth

NAMING = Naming(load_platform(CONFIG_DIR))
REGISTRY = registry(NAMING)
ENVIRONMENT = FAMILIES["environment"]
DATABASE = FAMILIES["database"]
EDGE = FAMILIES["edge"]
CLUSTER = FAMILIES["cluster"]
DELIVERY = FAMILIES["delivery"]
ACCOUNTS = FAMILIES["accounts"]


@pytest.mark.parametrize("ack", REGISTRY.acknowledgments, ids=lambda a: a.rule_ids[0])
def test_acknowledgments_are_explained(ack: Any) -> None:
    assert len(ack.reason) >= 200, "an acknowledgment needs a reason an auditor can check"
    for rule_id in ack.rule_ids:
        assert re.fullmatch(
            r"(AwsSolutions|NIST\.800\.53\.R5|HIPAA\.Security)::\1-[A-Za-z0-9]+(\[.+\])?", rule_id
        )


@pytest.mark.parametrize("skip", REGISTRY.checkov_skips, ids=lambda s: s.check_id)
def test_checkov_skips_are_explained(skip: Any) -> None:
    assert re.fullmatch(r"CKV2?_AWS_\d+", skip.check_id)
    assert len(skip.reason) >= 200


def test_the_single_registry_holds_every_family_once() -> None:
    """The aspects and the gates read the registry only: each family is in it, nothing
    is declared twice."""
    assert REGISTRY.acknowledgments == (
        *ENVIRONMENT.acknowledgments(NAMING),
        *DATABASE.acknowledgments(NAMING),
        *CLUSTER.acknowledgments(NAMING),
        *ACCOUNTS.acknowledgments(NAMING),
        *EDGE.acknowledgments(NAMING),
        *DELIVERY.acknowledgments(NAMING),
    )
    assert REGISTRY.checkov_skips == (
        *ENVIRONMENT.checkov_skips(NAMING),
        *DATABASE.checkov_skips(NAMING),
        *CLUSTER.checkov_skips(NAMING),
        *ACCOUNTS.checkov_skips(NAMING),
        *EDGE.checkov_skips(NAMING),
        *DELIVERY.checkov_skips(NAMING),
    )
    nag_keys = [(rule, a.matcher) for a in REGISTRY.acknowledgments for rule in a.rule_ids]
    assert len(nag_keys) == len(set(nag_keys)), "a rule is acknowledged twice for one matcher"
    skip_keys = [(s.check_id, s.matcher) for s in REGISTRY.checkov_skips]
    assert len(skip_keys) == len(set(skip_keys)), "a check is skipped twice for one matcher"


def test_every_acknowledgment_and_skip_is_used(synth: Synth) -> None:
    """The whole app is searched: the environment stages and the accounts stage."""
    nodes = synth.app.node.find_all()
    for ack in REGISTRY.acknowledgments:
        assert any(ack.matcher.matches(n) for n in nodes), ack.matcher.description
    for skip in REGISTRY.checkov_skips:
        assert any(skip.matcher.matches(n) for n in nodes), skip.matcher.description


def test_each_family_covers_only_its_stacks(synth_lake: Synth) -> None:
    nodes = [n for stack in synth_lake.accounts.stacks() for n in stack.node.find_all()]
    for ack in ACCOUNTS.acknowledgments(NAMING):
        assert any(ack.matcher.matches(n) for n in nodes), ack.matcher.description
    for skip in ACCOUNTS.checkov_skips(NAMING):
        assert any(skip.matcher.matches(n) for n in nodes), skip.matcher.description
    # The environment families stay out of the account stacks: no entry covers both.
    for entry in (
        *ENVIRONMENT.acknowledgments(NAMING),
        *ENVIRONMENT.checkov_skips(NAMING),
        *DATABASE.acknowledgments(NAMING),
        *DATABASE.checkov_skips(NAMING),
    ):
        assert not any(entry.matcher.matches(n) for n in nodes), entry.matcher.description


def test_every_account_suppression_is_used(synth_lake: Synth) -> None:
    """Each account acknowledgment suppresses a real cdk-nag finding in the synthesized
    account stacks, and each account checkov skip is written into a template."""
    report = json.loads((synth_lake.outdir / "validation-report.json").read_text())
    acknowledged = {
        (s.get("acknowledgedId"), s.get("reason"))
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }
    for ack in ACCOUNTS.acknowledgments(NAMING):
        unused = [r for r in ack.rule_ids if (r, ack.reason) not in acknowledged]
        assert not unused, f"{ack.matcher.description}: {unused} suppress nothing"
    written = {
        (entry["id"], entry["comment"])
        for path in synth_lake.template_files()
        for resource in json.loads(path.read_text())["Resources"].values()
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    for skip in ACCOUNTS.checkov_skips(NAMING):
        assert (skip.check_id, skip.reason) in written, skip.matcher.description


def test_matchers_are_built_from_the_owners_ids() -> None:
    """No matcher spells out a stack name: stacks are selected by class."""
    for entry in (*REGISTRY.acknowledgments, *REGISTRY.checkov_skips):
        assert entry.matcher.stacks, entry.matcher.description
        assert NAMING.project not in entry.matcher.path, entry.matcher.description


def test_database_suppressions_are_used_and_never_in_prod(synth: Synth) -> None:
    """Each database acknowledgment suppresses a real finding; the ones about Multi-AZ and
    deletion protection are scoped to the stages that may lack them, never prod."""
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    suppressed = [
        s for plugin in report["pluginReports"] for s in plugin.get("suppressedViolations", [])
    ]
    acknowledged = {(s.get("acknowledgedId"), s.get("reason")) for s in suppressed}
    for ack in DATABASE.acknowledgments(NAMING):
        unused = [r for r in ack.rule_ids if (r, ack.reason) not in acknowledged]
        assert not unused, f"{ack.matcher.description}: {unused} suppress nothing"
        if ack.matcher.stages:
            assert "prod" not in ack.matcher.stages, ack.matcher.description
    for skip in DATABASE.checkov_skips(NAMING):
        assert "prod" not in skip.matcher.stages, skip.matcher.description
    prod_instance = synth.built.environments[-1].database.instance.node.default_child
    for ack in DATABASE.acknowledgments(NAMING):
        if ack.matcher.stages:
            assert not ack.matcher.matches(prod_instance), ack.matcher.description
