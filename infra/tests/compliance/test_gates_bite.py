"""Each gate fails when it should: on a non-compliant fixture, and when it scans nothing.
The real platform passes the in-synth gate (cfn-lint and checkov over it run in `make check`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from innovate_infra.app import INFRA_DIR
from innovate_infra.compliance.gates import cfn_lint_gate, checkov_gate, find_templates, nag_gate

from tests.compliance.fixtures import synth_templates_only, synth_with_gates
from tests.conftest import Synth

CHECKOV = os.environ.get("INFRA_CHECKOV_BIN", str(INFRA_DIR.parent / ".venv/checkov/bin/checkov"))


@pytest.fixture(scope="module")
def nag_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("nag-fixture")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synth_with_gates(outdir)
    return outdir


@pytest.fixture(scope="module")
def template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("template-fixture")
    synth_templates_only(outdir)
    assert len(find_templates(outdir)) == 1
    return outdir


def test_nag_blocks_the_synth_with_findings_from_all_three_packs(nag_fixture: Path) -> None:
    result = nag_gate(nag_fixture)
    assert not result.passed
    text = "\n".join(result.findings)
    assert "AwsSolutions AwsSolutions-EC23" in text
    assert "AwsSolutions AwsSolutions-S10" in text
    assert "NIST.800.53.R5 NIST.800.53.R5-EC2RestrictedSSH" in text
    assert "NIST.800.53.R5 NIST.800.53.R5-S3DefaultEncryptionKMS" in text
    assert "HIPAA.Security HIPAA.Security-EC2RestrictedSSH" in text
    assert "HIPAA.Security HIPAA.Security-S3DefaultEncryptionKMS" in text


def test_cdk_template_validation_blocks_the_synth(nag_fixture: Path) -> None:
    text = "\n".join(nag_gate(nag_fixture).findings)
    assert "CloudFormation Validate" in text
    assert "fixture/Bad/Misspelt" in text


def test_nag_gate_refuses_acknowledgments_outside_the_module(nag_fixture: Path) -> None:
    text = "\n".join(nag_gate(nag_fixture).findings)
    assert (
        "AwsSolutions::AwsSolutions-S1 at fixture/Bad/UnencryptedBucket is acknowledged outside "
        "the registry innovate_infra/compliance/suppressions/" in text
    )


def test_cfn_lint_reports_errors_and_warnings(template_fixture: Path) -> None:
    result = cfn_lint_gate(template_fixture)
    assert not result.passed
    ids = {finding.split()[0] for finding in result.findings}
    assert "E3002" in ids  # unknown property (error)
    assert "W2001" in ids  # unused parameter (warning)


def test_checkov_reports_failed_checks_and_undeclared_skips(template_fixture: Path) -> None:
    result = checkov_gate(template_fixture, CHECKOV)
    assert not result.passed
    ids = {finding.split()[0] for finding in result.findings}
    assert "CKV_AWS_24" in ids  # security group open to 0.0.0.0/0 on port 22
    assert "CKV_AWS_18" in ids  # bucket without access logging
    assert any(
        "CKV_AWS_21 on AWS::S3::Bucket" in f
        and "skipped outside the registry innovate_infra/compliance/suppressions/" in f
        for f in result.findings
    )


@pytest.mark.parametrize("gate", ["nag", "cfn-lint", "checkov"])
def test_a_gate_that_scans_nothing_fails(tmp_path: Path, gate: str) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    result = {
        "nag": lambda: nag_gate(tmp_path),
        "cfn-lint": lambda: cfn_lint_gate(tmp_path),
        "checkov": lambda: checkov_gate(tmp_path, CHECKOV),
    }[gate]()
    assert not result.passed
    assert any("nothing was scanned" in f for f in result.findings)


def test_nag_gate_fails_without_a_validation_report(synth: Synth, tmp_path: Path) -> None:
    for template in synth.template_files()[:1]:
        (tmp_path / template.name).write_text(template.read_text())
    result = nag_gate(tmp_path)
    assert not result.passed
    assert "validation-report.json is missing" in result.findings[0]


def test_the_platform_passes_the_in_synth_gate(synth: Synth) -> None:
    result = nag_gate(synth.outdir)
    assert result.passed, result.render()
    packs = {row[0] for row in result.table}
    assert {"NIST.800.53.R5", "HIPAA.Security"} <= packs
