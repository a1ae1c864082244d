"""CIS AWS Foundations Benchmark monitoring controls (section 4 / Security Hub
CloudWatch.1-14): metric filters on the organization trail's log group, one alarm
each, to an encrypted SNS topic with an e-mail subscription."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


@dataclass(frozen=True)
class CisControl:
    control: str
    name: str
    description: str
    pattern: str


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName = {n})" for n in names)


CIS_CONTROLS: tuple[CisControl, ...] = (
    CisControl(
        "4.1",
        "UnauthorizedApiCalls",
        "Unauthorized API calls",
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    ),
    CisControl(
        "4.2",
        "ConsoleSignInWithoutMfa",
        "Management console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    CisControl(
        "4.3",
        "RootAccountUsage",
        "Usage of the root user",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }',
    ),
    CisControl(
        "4.4",
        "IamPolicyChanges",
        "IAM policy changes",
        "{ "
        + _any_event(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        )
        + " }",
    ),
    CisControl(
        "4.5",
        "CloudTrailChanges",
        "CloudTrail configuration changes",
        "{ "
        + _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
        + " }",
    ),
    CisControl(
        "4.6",
        "ConsoleAuthenticationFailures",
        "Management console authentication failures",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    CisControl(
        "4.7",
        "KmsKeyDisabledOrScheduledForDeletion",
        "Disabling or scheduled deletion of customer-managed KMS keys",
        "{ ($.eventSource = kms.amazonaws.com) && ("
        + _any_event("DisableKey", "ScheduleKeyDeletion")
        + ") }",
    ),
    CisControl(
        "4.8",
        "S3BucketPolicyChanges",
        "S3 bucket policy changes",
        "{ ($.eventSource = s3.amazonaws.com) && ("
        + _any_event(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        )
        + ") }",
    ),
    CisControl(
        "4.9",
        "ConfigChanges",
        "AWS Config configuration changes",
        "{ ($.eventSource = config.amazonaws.com) && ("
        + _any_event(
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        )
        + ") }",
    ),
    CisControl(
        "4.10",
        "SecurityGroupChanges",
        "Security group changes",
        "{ "
        + _any_event(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        )
        + " }",
    ),
    CisControl(
        "4.11",
        "NetworkAclChanges",
        "Network ACL changes",
        "{ "
        + _any_event(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        )
        + " }",
    ),
    CisControl(
        "4.12",
        "NetworkGatewayChanges",
        "Network gateway changes",
        "{ "
        + _any_event(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        )
        + " }",
    ),
    CisControl(
        "4.13",
        "RouteTableChanges",
        "Route table changes",
        "{ ($.eventSource = ec2.amazonaws.com) && ("
        + _any_event(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        )
        + ") }",
    ),
    CisControl(
        "4.14",
        "VpcChanges",
        "VPC changes",
        "{ "
        + _any_event(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        )
        + " }",
    ),
    CisControl(
        "4.15",
        "OrganizationsChanges",
        "AWS Organizations changes",
        "{ ($.eventSource = organizations.amazonaws.com) && ("
        + _any_event(
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
        )
        + ") }",
    ),
)


# Alarms of the platform's own controls, beside CIS's (same topic, same namespace).
BREAK_GLASS_CONTROL = "break-glass"
PLATFORM_CONTROLS: tuple[CisControl, ...] = (
    CisControl(
        BREAK_GLASS_CONTROL,
        "BreakGlassSession",
        "Break-glass permission set used: every sign-in to, and every call made with, an "
        "AWSReservedSSO_BreakGlassAdmin role in any account",
        # Identity Center sign-ins are AssumeRoleWithSAML calls into the account's
        # AWSReservedSSO_<set>_<suffix> role; later calls carry the role as session issuer.
        "{ ($.userIdentity.sessionContext.sessionIssuer.userName = "
        '"AWSReservedSSO_BreakGlassAdmin_*") || (($.eventName = "AssumeRoleWithSAML") && '
        '($.requestParameters.roleArn = "*AWSReservedSSO_BreakGlassAdmin_*")) }',
    ),
)


class CisAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_group: logs.ILogGroup,
        topic_key: kms.IKey,
        alarm_email: str,
        metric_namespace: str,
        topic_display_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=topic_display_name,
            master_key=topic_key,
            enforce_ssl=True,
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for control in (*CIS_CONTROLS, *PLATFORM_CONTROLS):
            metric_filter = logs.MetricFilter(
                self,
                f"{control.name}Filter",
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(control.pattern),
                metric_namespace=metric_namespace,
                metric_name=control.name,
                metric_value="1",
            )
            alarm = cloudwatch.Alarm(
                self,
                f"{control.name}Alarm",
                alarm_description=(
                    f"CIS {control.control}: {control.description}"
                    if control in CIS_CONTROLS
                    else f"Platform control {control.control}: {control.description}"
                ),
                metric=metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(actions.SnsAction(self.topic))
            self.alarms[control.control] = alarm
