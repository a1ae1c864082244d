"""GuardDuty, Security Hub, Config and Access Analyzer, and the management account's
delegation of them to the security/logs account."""

from __future__ import annotations

import fnmatch
import json

import pytest
from aws_cdk.assertions import Template
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.detection.baseline import (
    GUARDDUTY_FEATURES,
    security_hub_standard_arns,
)
from innovate_infra.constructs.organization.delegations import (
    ORGANIZATIONS_DELEGATED,
    TRUSTED_SERVICES,
)
from innovate_infra.naming import Naming

from tests.conftest import Synth
from tests.helpers import calls_of, sdk_calls


@pytest.fixture(scope="module")
def baseline(synth: Synth) -> Template:
    return synth.template(synth.accounts.detection)


@pytest.fixture(scope="module")
def org_security(synth: Synth) -> Template:
    return synth.template(synth.accounts.security_organization)


@pytest.fixture(scope="module")
def management(synth: Synth) -> Template:
    return synth.template(synth.accounts.security_services)


def test_guardduty_detector_with_protection_plans(
    baseline: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [detector] = baseline.find_resources("AWS::GuardDuty::Detector").values()
    props = detector["Properties"]
    assert props["Enable"] is True
    assert (
        props["FindingPublishingFrequency"]
        == platform.accounts.detection.guardduty_finding_frequency
    )
    features = {f["Name"]: f for f in props["Features"]}
    assert set(features) == set(GUARDDUTY_FEATURES)
    assert {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING", "RDS_LOGIN_EVENTS", "S3_DATA_EVENTS",
            "EBS_MALWARE_PROTECTION"} <= set(features)  # fmt: skip
    assert all(f["Status"] == "ENABLED" for f in features.values())
    assert features["RUNTIME_MONITORING"]["AdditionalConfiguration"] == [
        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}
    ]


def test_security_hub_standards(
    baseline: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [hub] = baseline.find_resources("AWS::SecurityHub::Hub").values()
    assert hub["Properties"]["EnableDefaultStandards"] is False
    assert hub["Properties"]["ControlFindingGenerator"] == "SECURITY_CONTROL"
    arns = [s["Properties"]["StandardsArn"] for s in baseline.find_resources(
        "AWS::SecurityHub::Standard").values()]  # fmt: skip
    region = platform.home_region
    assert sorted(arns) == sorted(
        [
            f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices"
            "/v/1.0.0",
            f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/"
            f"{platform.accounts.detection.cis_standard_version}",
        ]
    )


def test_config_recorder_delivers_to_the_archive(
    baseline: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [recorder] = baseline.find_resources("AWS::Config::ConfigurationRecorder").values()
    assert recorder["Properties"]["RecordingGroup"] == {
        "AllSupported": True,
        "IncludeGlobalResourceTypes": True,
    }
    [channel] = baseline.find_resources("AWS::Config::DeliveryChannel").values()
    assert channel["Properties"]["S3BucketName"] == naming.log_bucket_name("config")


def test_guardduty_auto_enables_the_organization(
    org_security: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [call] = calls_of(org_security, "GuardDuty", "UpdateOrganizationConfiguration")
    text = call["text"]
    assert '"AutoEnableOrganizationMembers":"ALL"' in text
    for feature in GUARDDUTY_FEATURES:
        assert f'{{"Name":"{feature}","AutoEnable":"ALL"' in text
    assert '"AdditionalConfiguration":[{"Name":"EKS_ADDON_MANAGEMENT","AutoEnable":"ALL"}]' in text
    # The detector id comes from the Detection stack (a cross-stack reference).
    assert "innovate-security-detection" in text or "ImportValue" in text


def test_organization_calls_in_the_security_account_are_exempt_from_the_scp(
    org_security: Template, platform: PlatformConfig, naming: Naming
) -> None:
    roles = org_security.find_resources("AWS::IAM::Role")
    named = [r["Properties"].get("RoleName") for r in roles.values()]
    guardduty_role = next(n for n in named if n and n.endswith("guardduty-org-config"))
    arn = f"arn:aws:iam::{platform.account_id('security')}:role/{guardduty_role}"
    assert any(fnmatch.fnmatch(arn, p) for p in naming.platform_automation_principal_arns())
    # ... and nothing else in the stack relies on a CDK-generated role for an org-wide write.
    for call in sdk_calls(org_security):
        assert call["resource"]["Properties"].get("InstallLatestAwsSdk") is False


def test_security_hub_central_configuration(
    org_security: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [org_config] = org_security.find_resources(
        "AWS::SecurityHub::OrganizationConfiguration"
    ).values()
    assert org_config["Properties"] == {
        "AutoEnable": False,
        "AutoEnableStandards": "NONE",
        "ConfigurationType": "CENTRAL",
    }
    [policy] = org_security.find_resources("AWS::SecurityHub::ConfigurationPolicy").values()
    hub = policy["Properties"]["ConfigurationPolicy"]["SecurityHub"]
    assert hub["ServiceEnabled"] is True
    assert hub["EnabledStandardIdentifiers"] == security_hub_standard_arns(
        platform.home_region, platform.accounts.detection.cis_standard_version
    )
    [association] = org_security.find_resources("AWS::SecurityHub::PolicyAssociation").values()
    assert association["Properties"]["TargetId"] == platform.accounts.organization.root_id
    assert association["Properties"]["TargetType"] == "ROOT"
    [aggregator] = org_security.find_resources("AWS::SecurityHub::FindingAggregator").values()
    assert aggregator["Properties"]["Regions"] == [
        r for r in platform.organization.allowed_regions if r != platform.home_region
    ]


def test_config_aggregator_and_access_analyzer(
    org_security: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [aggregator] = org_security.find_resources("AWS::Config::ConfigurationAggregator").values()
    source = aggregator["Properties"]["OrganizationAggregationSource"]
    assert source["AllAwsRegions"] is False
    assert source["AwsRegions"] == platform.organization.allowed_regions
    [analyzer] = org_security.find_resources("AWS::AccessAnalyzer::Analyzer").values()
    assert analyzer["Properties"]["Type"] == "ORGANIZATION"


def test_trusted_access_for_every_security_service(management: Template) -> None:
    enabled = {
        json.loads(c["text"])["parameters"]["ServicePrincipal"]
        for c in calls_of(management, "Organizations", "EnableAWSServiceAccess")
    }
    assert enabled == set(TRUSTED_SERVICES)
    assert calls_of(management, "CloudFormation", "ActivateOrganizationsAccess")


def test_security_account_is_delegated_administrator(
    management: Template, platform: PlatformConfig, naming: Naming
) -> None:
    security = platform.account_id("security")
    registered = {
        json.loads(c["text"])["parameters"]["ServicePrincipal"]: c
        for c in calls_of(management, "Organizations", "RegisterDelegatedAdministrator")
    }
    assert set(registered) == set(ORGANIZATIONS_DELEGATED)
    for call in registered.values():
        assert json.loads(call["text"])["parameters"]["AccountId"] == security
    [guardduty] = calls_of(management, "GuardDuty", "EnableOrganizationAdminAccount")
    assert json.loads(guardduty["text"])["parameters"] == {"AdminAccountId": security}
    [hub] = management.find_resources("AWS::SecurityHub::DelegatedAdmin").values()
    assert hub["Properties"] == {"AdminAccountId": security}
    trusted_ids = {
        lid
        for lid, r in management.find_resources("Custom::AWS").items()
        if '"action":"EnableAWSServiceAccess"' in str(r["Properties"]["Create"])
    }
    for call in [*registered.values(), guardduty]:
        assert trusted_ids <= set(call["depends_on"])


def test_config_recorders_roll_out_to_workload_accounts(
    management: Template, platform: PlatformConfig, naming: Naming
) -> None:
    [stack_set] = management.find_resources("AWS::CloudFormation::StackSet").values()
    props = stack_set["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    [instances] = props["StackInstancesGroup"]
    assert instances["Regions"] == [platform.home_region]
    [ou] = instances["DeploymentTargets"]["OrganizationalUnitIds"]
    assert "innovate-management-organization" in json.dumps(ou) or "ImportValue" in json.dumps(ou)
    body = json.loads(props["TemplateBody"])
    types = {r["Type"] for r in body["Resources"].values()}
    assert types == {
        "AWS::IAM::Role", "AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel"
    }  # fmt: skip
    channel = body["Resources"]["DeliveryChannel"]["Properties"]
    assert channel["S3BucketName"] == naming.log_bucket_name("config")
