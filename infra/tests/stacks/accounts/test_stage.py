"""Stack placement, deploy order, stateful separation, tags, and the policy gates
(cdk-nag three packs, cfn-lint, checkov) over the accounts templates."""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from innovate_infra.app import INFRA_DIR, create_app
from innovate_infra.compliance import gates
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.compliance.suppressions import registry
from innovate_infra.compliance.suppressions.accounts import PROVIDER_ID
from innovate_infra.config import PlatformConfig
from innovate_infra.config.organization import REQUIRED_TAG_KEYS
from innovate_infra.naming import Naming
from innovate_infra.stages import AccountsStage

from tests.conftest import Synth
from tests.helpers import taggable, tags_of

STATEFUL_TYPES = {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SecurityLake::DataLake"}


def test_management_and_security_accounts(synth_lake: Synth) -> None:
    platform, stacks = synth_lake.platform, synth_lake.accounts
    management = [stacks.organization, stacks.identity, stacks.audit_data,
                  stacks.security_services]  # fmt: skip
    security = [stacks.log_archive, stacks.detection, stacks.security_organization,
                stacks.security_lake]  # fmt: skip
    for stack in management:
        assert stack.account == platform.account_id("management")
    for stack in security:
        assert stack is not None
        assert stack.account == platform.account_id("security")
    for stack in stacks.stacks():
        expected = platform.home_region if stack not in stacks.regional else stack.region
        assert stack.region == expected
        assert stack.termination_protection is True
    others = [r for r in platform.organization.allowed_regions if r != platform.home_region]
    assert sorted({s.region for s in stacks.regional}) == sorted(others)


def test_deploy_order(synth: Synth) -> None:
    s = synth.accounts

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


def test_stateful_resources_live_in_stateful_stacks(synth_lake: Synth) -> None:
    s = synth_lake.accounts
    stateful = {s.log_archive, s.audit_data, s.security_lake}
    for stack in s.stacks():
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


def test_every_taggable_resource_carries_the_tag_standard(synth_lake: Synth) -> None:
    platform = synth_lake.platform
    org = platform.organization
    expected = {
        "Project": org.project,
        "Environment": "shared",
        "Owner": org.owner,
        "CostCenter": org.cost_center,
    }
    assert sorted([*expected, "DataClassification"]) == sorted(REQUIRED_TAG_KEYS)
    checked = 0
    wrong: list[str] = []
    for stack in synth_lake.accounts.stacks():
        for logical, resource in synth_lake.template(stack).to_json()["Resources"].items():
            if not taggable(resource["Type"], platform.home_region):
                continue
            checked += 1
            found = tags_of(resource)
            bad = {k: found.get(k) for k, v in expected.items() if found.get(k) != v}
            if found.get("DataClassification") not in org.tag_standard.data_classifications:
                bad["DataClassification"] = found.get("DataClassification")
            if bad:
                wrong.append(f"{stack.stack_name}/{logical} ({resource['Type']}): {bad}")
    assert not wrong, "\n".join(wrong)
    assert checked > 50


def test_archives_are_classified_restricted(synth: Synth) -> None:
    for stack in (synth.accounts.log_archive, synth.accounts.audit_data):
        for resource in synth.template(stack).find_resources("AWS::S3::Bucket").values():
            assert tags_of(resource)["DataClassification"] == "restricted"


def test_nag_gate_blocks_an_unacknowledged_finding(
    platform: PlatformConfig, naming: Naming, tmp_path: Path
) -> None:
    """The packs are real: one plain bucket in an accounts stack makes the synth fail."""
    app = create_app(outdir=tmp_path)
    stage = AccountsStage(app, platform=platform, naming=naming)
    s3.Bucket(stage.detection, "Unreviewed")
    enable_compliance(app, registry(naming))
    with pytest.raises(RuntimeError, match="S3BucketSSLRequestsOnly"):
        app.synth(validate_on_synthesis=True)


@pytest.mark.parametrize("variant", ["synth", "synth_lake"])
def test_nag_gate_passes(variant: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(variant)
    result = gates.nag_gate(synthesized.outdir)
    assert result.passed, result.render()


@pytest.mark.parametrize("variant", ["synth", "synth_lake"])
def test_cfn_lint_gate_passes(variant: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synth = request.getfixturevalue(variant)
    result = gates.cfn_lint_gate(synthesized.outdir)
    assert result.passed, result.render()
    assert f"{len(synthesized.template_files())} templates" in result.scanned


def checkov_binary() -> str:
    default = INFRA_DIR.parent / ".venv" / "checkov" / "bin" / "checkov"
    return os.environ.get("INFRA_CHECKOV_BIN", str(default))


@pytest.mark.slow
def test_checkov_gate_passes(synth_lake: Synth) -> None:
    result = gates.checkov_gate(synth_lake.outdir, checkov_binary())
    assert result.passed, result.render()
