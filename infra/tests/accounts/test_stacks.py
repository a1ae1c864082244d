"""Stack placement, deploy order, stateful separation, tags, and the policy gates
(cdk-nag three packs, cfn-lint, checkov) over the accounts templates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.stacks import build_account_stacks
from innovate_infra.compliance import gates
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.compliance.suppressions import (
    ACCOUNT_ACKNOWLEDGMENTS,
    ACCOUNT_CHECKOV_SKIPS,
    ACKNOWLEDGMENTS,
    CHECKOV_SKIPS,
    ENVIRONMENT_ACKNOWLEDGMENTS,
    ENVIRONMENT_CHECKOV_SKIPS,
    PROVIDER_ID,
)
from innovate_infra.config import REQUIRED_TAG_KEYS
from innovate_infra.estate import INFRA_DIR, create_app

from tests.helpers import taggable, tags_of

from .conftest import Synthesized

STATEFUL_TYPES = {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SecurityLake::DataLake"}


def test_management_and_security_accounts(synth_lake: Synthesized) -> None:
    config, stacks = synth_lake.config, synth_lake.stacks
    management = [stacks.organization, stacks.identity, stacks.audit_data,
                  stacks.security_services]  # fmt: skip
    security = [stacks.log_archive, stacks.detection, stacks.security_organization,
                stacks.security_lake]  # fmt: skip
    for stack in management:
        assert stack.account == config.organization.management_account_id
    for stack in security:
        assert stack is not None
        assert stack.account == config.security_account_id
    for stack in stacks.all():
        assert stack.region == config.organization.home_region
        assert stack.termination_protection is True


def test_deploy_order(synth: Synthesized) -> None:
    s = synth.stacks

    def deps(stack: cdk.Stack) -> set[str]:
        return {d.stack_name for d in stack.dependencies}

    assert deps(s.identity) >= {s.organization.stack_name}
    assert deps(s.log_archive) >= {s.organization.stack_name}
    assert deps(s.detection) >= {s.log_archive.stack_name}
    assert deps(s.security_services) >= {
        s.audit_data.stack_name, s.log_archive.stack_name, s.detection.stack_name,
        s.organization.stack_name,
    }  # fmt: skip
    assert deps(s.security_organization) >= {s.security_services.stack_name, s.detection.stack_name}


def test_stateful_resources_live_in_stateful_stacks(synth_lake: Synthesized) -> None:
    s = synth_lake.stacks
    stateful = {s.log_archive, s.audit_data, s.security_lake}
    for stack in s.all():
        template = synth_lake.template(stack).to_json()
        types = {r["Type"] for r in template["Resources"].values()}
        if stack in stateful:
            assert types & STATEFUL_TYPES, stack.stack_name
        else:
            assert not types & STATEFUL_TYPES, stack.stack_name
            groups = [
                r for r in template["Resources"].values()
                if r["Type"] == "AWS::Logs::LogGroup"
                and PROVIDER_ID not in r["Metadata"]["aws:cdk:path"]
            ]  # fmt: skip
            assert not groups, stack.stack_name


def test_every_taggable_resource_carries_the_tag_standard(synth_lake: Synthesized) -> None:
    config = synth_lake.config
    tagging = config.guardrails.tagging
    expected = {
        "Project": tagging.project[0],
        "Environment": "shared",
        "Owner": tagging.owner[0],
        "CostCenter": tagging.cost_center[0],
    }
    assert sorted([*expected, "DataClassification"]) == sorted(REQUIRED_TAG_KEYS)
    checked = 0
    wrong: list[str] = []
    for stack in synth_lake.stacks.all():
        for logical, resource in synth_lake.template(stack).to_json()["Resources"].items():
            if not taggable(resource["Type"], config.organization.home_region):
                continue
            checked += 1
            found = tags_of(resource)
            bad = {k: found.get(k) for k, v in expected.items() if found.get(k) != v}
            if found.get("DataClassification") not in tagging.data_classification:
                bad["DataClassification"] = found.get("DataClassification")
            if bad:
                wrong.append(f"{stack.stack_name}/{logical} ({resource['Type']}): {bad}")
    assert not wrong, "\n".join(wrong)
    assert checked > 50


def test_archives_are_classified_restricted(synth: Synthesized) -> None:
    for stack in (synth.stacks.log_archive, synth.stacks.audit_data):
        for resource in synth.template(stack).find_resources("AWS::S3::Bucket").values():
            assert tags_of(resource)["DataClassification"] == "restricted"


def test_every_account_suppression_matches_an_account_stack_resource(
    synth_lake: Synthesized,
) -> None:
    nodes = [n for stack in synth_lake.stacks.all() for n in stack.node.find_all()]
    for ack in ACCOUNT_ACKNOWLEDGMENTS:
        assert any(ack.matcher.matches(n) for n in nodes), ack.matcher.description
    for skip in ACCOUNT_CHECKOV_SKIPS:
        assert any(skip.matcher.matches(n) for n in nodes), skip.matcher.description
    # The environment section stays out of the account stacks: no entry covers both.
    for entry in (*ENVIRONMENT_ACKNOWLEDGMENTS, *ENVIRONMENT_CHECKOV_SKIPS):
        assert not any(entry.matcher.matches(n) for n in nodes), entry.matcher.description


def test_the_single_registry_holds_both_sections_once() -> None:
    """The aspects and the gates read ACKNOWLEDGMENTS / CHECKOV_SKIPS only: the account
    section is in them, nothing is declared twice, and every reason can be audited."""
    assert (*ENVIRONMENT_ACKNOWLEDGMENTS, *ACCOUNT_ACKNOWLEDGMENTS) == ACKNOWLEDGMENTS
    assert (*ENVIRONMENT_CHECKOV_SKIPS, *ACCOUNT_CHECKOV_SKIPS) == CHECKOV_SKIPS
    nag_keys = [(rule, a.matcher) for a in ACKNOWLEDGMENTS for rule in a.rule_ids]
    assert len(nag_keys) == len(set(nag_keys)), "a rule is acknowledged twice for one matcher"
    skip_keys = [(s.check_id, s.matcher) for s in CHECKOV_SKIPS]
    assert len(skip_keys) == len(set(skip_keys)), "a check is skipped twice for one matcher"
    reasons = [a.reason for a in ACCOUNT_ACKNOWLEDGMENTS] + [
        s.reason for s in ACCOUNT_CHECKOV_SKIPS
    ]
    # The estate's registry tests demand reasons an auditor can check (200+ characters).
    assert all(len(r) >= 200 for r in reasons)


def test_every_account_suppression_is_used(synth_lake: Synthesized) -> None:
    """Each account acknowledgment suppresses a real cdk-nag finding in the synthesized
    account stacks, and each account checkov skip is written into a template."""
    report = json.loads((synth_lake.outdir / "validation-report.json").read_text())
    acknowledged = {
        (s.get("acknowledgedId"), s.get("reason"))
        for plugin in report["pluginReports"]
        for s in plugin.get("suppressedViolations", [])
    }
    for ack in ACCOUNT_ACKNOWLEDGMENTS:
        unused = [r for r in ack.rule_ids if (r, ack.reason) not in acknowledged]
        assert not unused, f"{ack.matcher.description}: {unused} suppress nothing"
    written = {
        (entry["id"], entry["comment"])
        for path in synth_lake.template_files()
        for resource in json.loads(path.read_text())["Resources"].values()
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    for skip in ACCOUNT_CHECKOV_SKIPS:
        assert (skip.check_id, skip.reason) in written, skip.matcher.description


def test_nag_gate_blocks_an_unacknowledged_finding(config: AccountsConfig, tmp_path: Path) -> None:
    """The packs are real: one plain bucket in an accounts stack makes the synth fail."""
    app = create_app(outdir=tmp_path)
    stacks = build_account_stacks(app, config)
    s3.Bucket(stacks.detection, "Unreviewed")
    enable_compliance(app)
    with pytest.raises(RuntimeError, match="S3BucketSSLRequestsOnly"):
        app.synth(validate_on_synthesis=True)


@pytest.mark.parametrize("variant", ["synth", "synth_lake"])
def test_nag_gate_passes(variant: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant)
    result = gates.nag_gate(synthesized.outdir)
    assert result.passed, result.render()


@pytest.mark.parametrize("variant", ["synth", "synth_lake"])
def test_cfn_lint_gate_passes(variant: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant)
    result = gates.cfn_lint_gate(synthesized.outdir)
    assert result.passed, result.render()
    assert "8 templates" in result.scanned or "7 templates" in result.scanned


def checkov_binary() -> str:
    default = INFRA_DIR.parent / ".venv" / "checkov" / "bin" / "checkov"
    return os.environ.get("INFRA_CHECKOV_BIN", str(default))


@pytest.mark.slow
def test_checkov_gate_passes(synth_lake: Synthesized) -> None:
    result = gates.checkov_gate(synth_lake.outdir, checkov_binary())
    assert result.passed, result.render()
