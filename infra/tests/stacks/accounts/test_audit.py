"""Organization trail, its log group, and the CIS monitoring alarms (management account)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.audit.cis_alarms import CIS_CONTROLS, PLATFORM_CONTROLS, CisControl
from innovate_infra.naming import Naming

from tests.conftest import Synth
from tests.stacks.accounts.filter_pattern import matches


def cross_stack(value: object) -> bool:
    """A reference to another stack's export (the estate uses strong references only)."""
    return isinstance(value, dict) and set(value) == {"Fn::ImportValue"}


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


@pytest.mark.parametrize("control", CIS_CONTROLS, ids=lambda c: c.name)
def test_metric_filter_and_alarm_per_control(
    services: Template, naming: Naming, control: object
) -> None:
    assert isinstance(control, CisControl)
    services.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": control.pattern,
            "MetricTransformations": [
                {
                    "MetricName": control.name,
                    "MetricNamespace": naming.alarm_metric_namespace,
                    "MetricValue": "1",
                }
            ],
        },
    )
    services.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmDescription": f"CIS {control.control}: {control.description}",
            "MetricName": control.name,
            "Namespace": naming.alarm_metric_namespace,
            "Statistic": "Sum",
            "Period": 300,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": Match.string_like_regexp("CisAlarmsTopic")}],
        },
    )


def test_filters_watch_the_trail_log_group(services: Template) -> None:
    filters = services.find_resources("AWS::Logs::MetricFilter")
    assert len(filters) == len(CIS_CONTROLS) + len(PLATFORM_CONTROLS)
    groups = [f["Properties"]["LogGroupName"] for f in filters.values()]
    assert all(cross_stack(g) and g == groups[0] for g in groups)


def test_root_usage_filter_matches_cis_wording() -> None:
    root = next(c for c in CIS_CONTROLS if c.name == "RootAccountUsage")
    assert '$.userIdentity.type = "Root"' in root.pattern
    assert "$.userIdentity.invokedBy NOT EXISTS" in root.pattern
    mfa = next(c for c in CIS_CONTROLS if c.name == "ConsoleSignInWithoutMfa")
    assert '$.additionalEventData.MFAUsed != "Yes"' in mfa.pattern


def test_alarm_topic_is_encrypted_and_mails_the_configured_address(
    services: Template, platform: PlatformConfig, naming: Naming
) -> None:
    topic = next(iter(services.find_resources("AWS::SNS::Topic").values()))
    assert cross_stack(topic["Properties"]["KmsMasterKeyId"])
    services.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": platform.accounts.audit.alarm_email},
    )
    services.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def _sso_call(role: str, event: str = "PutBucketPolicy") -> dict[str, Any]:
    return {
        "eventName": event,
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::444444444444:assumed-role/{role}/someone@example.com",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "userName": role,
                    "arn": "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/"
                    f"eu-west-1/{role}",
                }
            },
        },
    }


def _sign_in(role: str) -> dict[str, Any]:
    return {
        "eventName": "AssumeRoleWithSAML",
        "userIdentity": {"type": "SAMLUser", "userName": "someone@example.com"},
        "requestParameters": {
            "roleArn": "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/"
            f"eu-west-1/{role}",
        },
    }


def test_every_break_glass_session_raises_the_alarm(services: Template) -> None:
    """Item 9: the permission set's description says every use is alarmed; the deployed
    filter matches a break-glass sign-in and every call of its session, nothing else."""
    filters = services.find_resources("AWS::Logs::MetricFilter")
    [pattern] = [
        f["Properties"]["FilterPattern"]
        for f in filters.values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "BreakGlassSession"
    ]
    break_glass = "AWSReservedSSO_BreakGlassAdmin_0123456789abcdef"
    assert matches(pattern, _sso_call(break_glass))
    assert matches(pattern, _sign_in(break_glass))
    for other in ("AWSReservedSSO_PlatformEngineer_0123456789abcdef", "innovate-dev-app"):
        assert not matches(pattern, _sso_call(other))
        assert not matches(pattern, _sign_in(other))
    [alarm] = [
        a
        for a in services.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "BreakGlassSession"
    ]
    assert alarm["Properties"]["Threshold"] == 1
    assert alarm["Properties"]["AlarmActions"]
