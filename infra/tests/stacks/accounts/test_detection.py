"""GuardDuty, Security Hub, Config and Access Analyzer, and the management account's
delegation of them to the security/logs account."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

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
from tests.stacks.accounts.support import logical_id, produced_value, resources


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
    org_security: Template,
    platform: PlatformConfig,
    naming: Naming,
    templates: dict[str, dict[str, Any]],
) -> None:
    [call] = calls_of(org_security, "GuardDuty", "UpdateOrganizationConfiguration")
    text = call["text"]
    assert '"AutoEnableOrganizationMembers":"ALL"' in text
    for feature in GUARDDUTY_FEATURES:
        assert f'{{"Name":"{feature}","AutoEnable":"ALL"' in text
    assert '"AdditionalConfiguration":[{"Name":"EKS_ADDON_MANAGEMENT","AutoEnable":"ALL"}]' in text
    # The detector id is the Detection stack's detector (a cross-stack reference).
    [detector_ref] = [
        part
        for part in call["resource"]["Properties"]["Create"]["Fn::Join"][1]
        if isinstance(part, dict)
    ]
    detection = templates[naming.stack_name("security", "detection")]
    [detector] = resources(detection, "AWS::GuardDuty::Detector")
    assert produced_value(templates, detector_ref) == {"Ref": detector}


def test_organization_calls_in_the_security_account_are_exempt_from_the_scp(
    org_security: Template, platform: PlatformConfig, naming: Naming
) -> None:
    roles = org_security.find_resources("AWS::IAM::Role")
    named = [r["Properties"].get("RoleName") for r in roles.values()]
    guardduty_role = next(n for n in named if n and n.endswith("guardduty-org-config"))
    arn = f"arn:aws:iam::{platform.account_id('security')}:role/{guardduty_role}"
    assert any(fnmatch.fnmatch(arn, p) for p in naming.platform_automation_principal_arns())
    # ... and every organization-wide write of the stack runs as that exempt, named role,
    # not as a CDK-generated role (which the SCP would refuse).
    calls = sdk_calls(org_security)
    assert calls
    role_logical = next(
        k for k, r in roles.items() if r["Properties"].get("RoleName") == guardduty_role
    )
    functions = org_security.find_resources("AWS::Lambda::Function")
    for call in calls:
        token = call["resource"]["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        assert functions[token]["Properties"]["Role"] == {"Fn::GetAtt": [role_logical, "Arn"]}


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


def test_config_recorders_roll_out_to_every_member_account_and_allowed_region(
    management: Template,
    platform: PlatformConfig,
    naming: Naming,
    templates: dict[str, dict[str, Any]],
) -> None:
    [stack_set] = management.find_resources("AWS::CloudFormation::StackSet").values()
    props = stack_set["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    organization = templates[naming.stack_name("management", "organization")]
    ous = {
        produced_value(templates, ou)["Fn::GetAtt"][0]: group["Regions"]
        for group in props["StackInstancesGroup"]
        for ou in group["DeploymentTargets"]["OrganizationalUnitIds"]
    }
    workloads = logical_id(organization, "AWS::Organizations::OrganizationalUnit", "/OuWorkloads")
    security = logical_id(organization, "AWS::Organizations::OrganizationalUnit", "/OuSecurity")
    home = platform.home_region
    allowed = list(platform.organization.allowed_regions)
    # item 11: workload accounts in every allowed region; the security/logs account records
    # its home region in its Detection stack, the other regions through the StackSet.
    assert ous == {workloads: allowed, security: [r for r in allowed if r != home]}
    assert props["OperationPreferences"]["RegionOrder"][0] == home
    body = json.loads(props["TemplateBody"])
    types = {r["Type"] for r in body["Resources"].values()}
    assert types == {
        "AWS::IAM::Role", "AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel"
    }  # fmt: skip
    channel = body["Resources"]["DeliveryChannel"]["Properties"]
    assert channel["S3BucketName"] == naming.log_bucket_name("config")
    # Global resource types (IAM) are recorded in the home region only.
    recording = body["Resources"]["Recorder"]["Properties"]["RecordingGroup"]
    condition = recording["IncludeGlobalResourceTypes"]["Fn::If"]
    assert body["Conditions"][condition[0]] == {"Fn::Equals": [{"Ref": "AWS::Region"}, home]}
    assert condition[1:] == [True, False]


def _depends_on(resource: dict[str, Any]) -> list[str]:
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else list(value)


def test_stack_set_delivery_channel_is_created_after_the_recorder(management: Template) -> None:
    """Item 1: Config refuses a delivery channel before a recorder exists; with a failure
    tolerance of 0 a StackSet instance racing them fails the whole operation."""
    [stack_set] = management.find_resources("AWS::CloudFormation::StackSet").values()
    body = json.loads(stack_set["Properties"]["TemplateBody"])
    assert stack_set["Properties"]["OperationPreferences"]["FailureToleranceCount"] == 0
    assert _depends_on(body["Resources"]["DeliveryChannel"]) == ["Recorder"]
    assert "DependsOn" not in body["Resources"]["Recorder"]


@pytest.mark.parametrize(
    ("scope", "purpose"), [("security", "detection"), ("management", "security-services")]
)
def test_stack_delivery_channel_is_created_after_the_recorder(
    templates: dict[str, dict[str, Any]], naming: Naming, scope: str, purpose: str
) -> None:
    """Item 1 in the security/logs account's Detection stack and the management account's
    own recorder (item 11)."""
    template = templates[naming.stack_name(scope, purpose)]
    [recorder] = resources(template, "AWS::Config::ConfigurationRecorder")
    [channel] = resources(template, "AWS::Config::DeliveryChannel").values()
    assert recorder in _depends_on(channel)
    assert channel["Properties"]["S3BucketName"] == naming.log_bucket_name("config")


def test_guardduty_and_management_config_cover_every_other_allowed_region(
    synth: Synth, platform: PlatformConfig, naming: Naming, templates: dict[str, dict[str, Any]]
) -> None:
    """Item 11: GuardDuty is regional (delegated administrator, detector and organization
    auto-enable per region), and service-managed StackSets never reach the management
    account: every allowed region besides home gets the three, in that order."""
    others = [r for r in platform.organization.allowed_regions if r != platform.home_region]
    assert others, "the committed config allows us-east-1 besides the home region"
    security = platform.account_id("security")
    for region in others:
        detection = templates[naming.stack_name("security", f"detection-{region}")]
        delegation = templates[naming.stack_name("management", f"delegation-{region}")]
        auto = templates[naming.stack_name("security", f"organization-{region}")]
        [detector] = resources(detection, "AWS::GuardDuty::Detector")
        stacks = {s.stack_name: s for s in synth.accounts.regional}
        deps = {name: {d.stack_name for d in stack.dependencies} for name, stack in stacks.items()}
        d_name = naming.stack_name("security", f"detection-{region}")
        m_name = naming.stack_name("management", f"delegation-{region}")
        o_name = naming.stack_name("security", f"organization-{region}")
        assert stacks[d_name].region == stacks[m_name].region == stacks[o_name].region == region
        assert d_name in deps[m_name]
        assert m_name in deps[o_name]
        [delegate] = calls_of(
            Template.from_json(delegation), "GuardDuty", "EnableOrganizationAdminAccount"
        )
        assert json.loads(delegate["text"])["parameters"] == {"AdminAccountId": security}
        [call] = calls_of(Template.from_json(auto), "GuardDuty", "UpdateOrganizationConfiguration")
        assert '"AutoEnableOrganizationMembers":"ALL"' in call["text"]
        [detector_ref] = [
            part
            for part in call["resource"]["Properties"]["Create"]["Fn::Join"][1]
            if isinstance(part, dict)
        ]
        assert produced_value(templates, detector_ref) == {"Ref": detector}
        [recorder] = resources(delegation, "AWS::Config::ConfigurationRecorder").values()
        assert recorder["Properties"]["RecordingGroup"]["IncludeGlobalResourceTypes"] is False
        assert recorder["Properties"]["RoleARN"].endswith(
            ":role/" + naming.security_role_name("config-recorder")
        )
        [channel] = resources(delegation, "AWS::Config::DeliveryChannel").values()
        assert _depends_on(channel) == list(
            resources(delegation, "AWS::Config::ConfigurationRecorder")
        )
