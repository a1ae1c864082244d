"""Organization trail, its log group, and the CIS monitoring alarms (management account)."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.audit.cis_alarms import CIS_CONTROLS
from innovate_infra.naming import Naming

from tests.conftest import Synth


def cross_stack(value: object) -> bool:
    """A reference to another stack's output (export or the newer Fn::GetStackOutput)."""
    return isinstance(value, dict) and bool({"Fn::ImportValue", "Fn::GetStackOutput"} & set(value))


@pytest.fixture(scope="module")
def services(synth: Synth) -> Template:
    return synth.template(synth.accounts.security_services)


@pytest.fixture(scope="module")
def data(synth: Synth) -> Template:
    return synth.template(synth.accounts.audit_data)


def test_organization_trail(services: Template, platform: PlatformConfig, naming: Naming) -> None:
    trails = services.find_resources("AWS::CloudTrail::Trail")
    assert len(trails) == 1
    props = next(iter(trails.values()))["Properties"]
    assert props["IsOrganizationTrail"] is True
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["IsLogging"] is True
    assert props["S3BucketName"] == naming.log_bucket_name("cloudtrail")
    assert props["KMSKeyId"] == naming.log_archive_key_alias_arn
    assert cross_stack(props["CloudWatchLogsLogGroupArn"])
    assert props["CloudWatchLogsRoleArn"]["Fn::GetAtt"][1] == "Arn"


def test_trail_records_management_events_and_sensitive_s3_data_events(
    services: Template, platform: PlatformConfig, naming: Naming
) -> None:
    props = next(iter(services.find_resources("AWS::CloudTrail::Trail").values()))["Properties"]
    selectors = {s["Name"]: s["FieldSelectors"] for s in props["AdvancedEventSelectors"]}
    assert selectors["ManagementEvents"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    data = selectors["SensitiveDataS3Objects"]
    assert {"Field": "eventCategory", "Equals": ["Data"]} in data
    assert {"Field": "resources.type", "Equals": ["AWS::S3::Object"]} in data
    assert {
        "Field": "resources.ARN",
        "StartsWith": [
            f"arn:aws:s3:::{p}" for p in platform.accounts.audit.sensitive_data_bucket_prefixes
        ],
    } in data


def test_trail_waits_for_cloudtrail_trusted_access(services: Template) -> None:
    trail = next(iter(services.find_resources("AWS::CloudTrail::Trail").values()))
    assert any("Trustcloudtrail" in dep for dep in trail["DependsOn"])


def test_trail_log_group_is_encrypted_and_retained(
    data: Template, platform: PlatformConfig, naming: Naming
) -> None:
    groups = data.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 1
    group = next(iter(groups.values()))
    assert (
        group["Properties"]["RetentionInDays"] == platform.accounts.audit.cloudwatch_retention_days
    )
    assert group["Properties"]["KmsKeyId"]["Fn::GetAtt"][1] == "Arn"
    assert group["DeletionPolicy"] == "Retain"
    key = next(iter(data.find_resources("AWS::KMS::Key").values()))
    assert key["Properties"]["EnableKeyRotation"] is True


def joined(value: object) -> str:
    """Render an Fn::Join of literals and pseudo-parameter Refs as text."""
    assert isinstance(value, dict)
    assert "Fn::Join" in value
    separator, parts = value["Fn::Join"]
    return separator.join(p if isinstance(p, str) else "${" + p["Ref"] + "}" for p in parts)


def test_delivery_role_can_only_write_the_trail_log_group(services: Template) -> None:
    policies = services.find_resources("AWS::IAM::Policy")
    trail_policy = next(
        p for lid, p in policies.items() if lid.startswith("OrganizationTrailCloudWatchLogsRole")
    )
    [statement] = trail_policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert joined(statement["Resource"]) == (
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        "/innovate/cloudtrail/innovate-organization-trail:log-stream:*"
    )


def test_cis_controls_cover_the_benchmark_monitoring_section() -> None:
    names = {c.name for c in CIS_CONTROLS}
    assert {
        "RootAccountUsage",
        "UnauthorizedApiCalls",
        "ConsoleSignInWithoutMfa",
        "IamPolicyChanges",
        "CloudTrailChanges",
        "ConfigChanges",
        "KmsKeyDisabledOrScheduledForDeletion",
        "S3BucketPolicyChanges",
        "SecurityGroupChanges",
        "NetworkAclChanges",
        "RouteTableChanges",
        "VpcChanges",
        "NetworkGatewayChanges",
    } <= names
    assert len({c.control for c in CIS_CONTROLS}) == len(CIS_CONTROLS) == 15
