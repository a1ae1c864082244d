"""Stateless stack: the environment's alarm topic and the alarms that publish to it.

* an SNS topic encrypted with the environment's ``alarms`` key, TLS-only, with an e-mail
  subscription to the environment's ``alarm_email``; only CloudWatch alarms of this
  environment (``aws:SourceAccount``, ``aws:SourceArn``) may publish to it;
* when Network Firewall is on: a metric filter on the firewall's alert log group
  (every ``blocked`` alert: a threat signature or the default drop of a flow to a
  domain off the allow-list) and an alarm on it;
* the database's alarms (``constructs/database/alarms.py``), by instance identifier: the
  database stack is stateful and never depends on this one.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from innovate_infra.constructs.database.alarms import (
    DatabaseAlarms,
    DatabaseAlarmsProps,
    DatabaseAlarmThresholds,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings

# Network Firewall alert log records (JSON): event.event_type "alert", and
# event.alert.action "blocked" for drops (threat signatures, default drop).
FIREWALL_BLOCKED_PATTERN = (
    '{ ($.event.event_type = "alert") && ($.event.alert.action = "blocked") }'
)
METRIC_NAMESPACE_SUFFIX = "NetworkFirewall"


@dataclass(frozen=True)
class DatabaseAlarmSettings:
    instance_identifier: str
    allocated_storage_gib: int
    thresholds: DatabaseAlarmThresholds


@dataclass(frozen=True)
class MonitoringStackProps:
    naming: Naming
    environment: str
    alarms_key: kms.IKey
    alarm_email: str
    firewall_alert_log_group: logs.ILogGroup | None
    database: DatabaseAlarmSettings | None = None


class MonitoringStack(PlatformStack):
    PURPOSE = "monitoring"
    DESCRIPTION = "alarm topic and alarms (stateless)"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: MonitoringStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        naming, env = props.naming, props.environment
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{naming.prefix(env)} alarms",
            master_key=props.alarms_key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishByThisEnvironmentsAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {
                        "aws:SourceArn": naming.alarm_arn_pattern(env, self.account, self.region)
                    },
                },
            )
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(props.alarm_email))
        self.firewall_alarm: cloudwatch.Alarm | None = None
        if props.firewall_alert_log_group is not None:
            metric_filter = logs.MetricFilter(
                self,
                "FirewallBlockedFilter",
                log_group=props.firewall_alert_log_group,
                filter_pattern=logs.FilterPattern.literal(FIREWALL_BLOCKED_PATTERN),
                metric_namespace=f"{naming.project}/{env}/{METRIC_NAMESPACE_SUFFIX}",
                metric_name="BlockedFlows",
                metric_value="1",
            )
            self.firewall_alarm = cloudwatch.Alarm(
                self,
                "FirewallBlockedAlarm",
                alarm_name=naming.alarm_name(env, "network-firewall-blocked"),
                alarm_description=(
                    "Network Firewall dropped egress (threat signature or a destination off "
                    "the allow-list): see the firewall alert log group"
                ),
                metric=metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.firewall_alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.database_alarms: DatabaseAlarms | None = None
        if props.database is not None:
            self.database_alarms = DatabaseAlarms(
                self,
                "DatabaseAlarms",
                props=DatabaseAlarmsProps(
                    instance_identifier=props.database.instance_identifier,
                    alarm_name_prefix=naming.alarm_name(env, "database"),
                    allocated_storage_gib=props.database.allocated_storage_gib,
                    thresholds=props.database.thresholds,
                    topic=self.topic,
                ),
            )
