"""CloudWatch alarms on the database instance, to the environment's alarm topic.

CPU, free storage, freeable memory, connections, read and write latency (``AWS/RDS``,
by ``DBInstanceIdentifier``). No replica-lag alarm: the design has no read replicas, so
the metric would never exist (an alarm on it would sit in INSUFFICIENT_DATA forever).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

GIB = 1024**3
MIB = 1024**2
PERIOD = Duration.minutes(5)
Above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
Below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


@dataclass(frozen=True)
class DatabaseAlarmThresholds:
    cpu_percent: int
    free_storage_percent: int
    freeable_memory_mib: int
    connections: int
    read_latency_ms: int
    write_latency_ms: int


@dataclass(frozen=True)
class DatabaseAlarmsProps:
    instance_identifier: str
    alarm_name_prefix: str
    """Alarm names start with this; it must match the topic's ``aws:SourceArn`` bound."""
    allocated_storage_gib: int
    thresholds: DatabaseAlarmThresholds
    topic: sns.ITopic


class DatabaseAlarms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: DatabaseAlarmsProps) -> None:
        super().__init__(scope, construct_id)
        t = props.thresholds
        action = actions.SnsAction(props.topic)
        # (construct id, name suffix, metric, statistic, threshold, comparison, periods, what)
        specs = [
            ("Cpu", "cpu", "CPUUtilization", "Average", t.cpu_percent, Above, 3,
             f"CPU above {t.cpu_percent}% for 15 minutes"),
            ("FreeStorage", "free-storage", "FreeStorageSpace", "Minimum",
             props.allocated_storage_gib * GIB * t.free_storage_percent / 100, Below, 1,
             f"free storage below {t.free_storage_percent}% of the allocated "
             f"{props.allocated_storage_gib} GiB (storage autoscaling may have hit its ceiling)"),
            ("FreeableMemory", "freeable-memory", "FreeableMemory", "Minimum",
             t.freeable_memory_mib * MIB, Below, 3,
             f"freeable memory below {t.freeable_memory_mib} MiB for 15 minutes"),
            ("Connections", "connections", "DatabaseConnections", "Maximum", t.connections,
             Above, 3, f"more than {t.connections} connections for 15 minutes"),
            ("ReadLatency", "read-latency", "ReadLatency", "Average", t.read_latency_ms / 1000,
             Above, 3, f"read latency above {t.read_latency_ms} ms for 15 minutes"),
            ("WriteLatency", "write-latency", "WriteLatency", "Average", t.write_latency_ms / 1000,
             Above, 3, f"write latency above {t.write_latency_ms} ms for 15 minutes"),
        ]  # fmt: skip
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for construct_name, suffix, metric, statistic, threshold, op, periods, what in specs:
            alarm = cloudwatch.Alarm(
                self,
                construct_name,
                alarm_name=f"{props.alarm_name_prefix}-{suffix}",
                alarm_description=f"{props.instance_identifier}: {what}",
                metric=cloudwatch.Metric(
                    namespace="AWS/RDS",
                    metric_name=metric,
                    dimensions_map={"DBInstanceIdentifier": props.instance_identifier},
                    statistic=statistic,
                    period=PERIOD,
                ),
                threshold=threshold,
                evaluation_periods=periods,
                comparison_operator=op,
                treat_missing_data=cloudwatch.TreatMissingData.MISSING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[suffix] = alarm
