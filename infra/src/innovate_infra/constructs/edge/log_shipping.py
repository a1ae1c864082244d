"""The seed's "WAF/API Gateway -> CloudWatch + S3 via Kinesis": log groups stay the
CloudWatch copy; a subscription filter on each feeds one encrypted Kinesis Data Firehose
delivery stream that writes them to the WAF/API bucket of the organization log archive
(security/logs account, by name), under this account's ``firehose/<account>/`` prefix
(the only prefix the archive lets this account's roles write)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct


@dataclass(frozen=True)
class ArchiveLogShippingProps:
    stream_name: str
    # The stream's own server-side encryption (a CMK of this account and region).
    stream_key: kms.IKey
    archive_bucket_name: str
    # ``<env>/<scope>``: below ``firehose/<account>/`` in the archive bucket.
    archive_prefix: str
    # The archive key (security/logs account), addressed by pattern + alias: S3 encrypts
    # each object with it (bucket default encryption) on the role's behalf.
    archive_key_arn_pattern: str
    archive_key_alias: str
    log_groups: Sequence[logs.ILogGroup]


class ArchiveLogShipping(Construct):
    STREAM_ID = "DeliveryStream"

    def __init__(
        self, scope: Construct, construct_id: str, *, props: ArchiveLogShippingProps
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        account, region = stack.account, stack.region
        bucket_arn = f"arn:aws:s3:::{props.archive_bucket_name}"
        object_prefix = f"firehose/{account}/{props.archive_prefix}"

        # Firehose writes to the archive as this role, for this account's streams only.
        self.delivery_role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"sts:ExternalId": account}},
            ),
            description=f"{props.stream_name}: writes to the log archive",
        )
        iam.ManagedPolicy(
            self,
            "DeliveryPolicy",
            roles=[self.delivery_role],
            description=f"{props.stream_name}: write this account's prefix of the archive",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "s3:GetBucketLocation",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                    ],
                    resources=[bucket_arn],
                ),
                iam.PolicyStatement(
                    actions=["s3:AbortMultipartUpload", "s3:PutObject"],
                    resources=[f"{bucket_arn}/{object_prefix}/*"],
                ),
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Encrypt"],
                    resources=[props.archive_key_arn_pattern],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"s3.{_bucket_region(props)}.amazonaws.com"
                        },
                        "ForAnyValue:StringEquals": {
                            "kms:ResourceAliases": props.archive_key_alias
                        },
                    },
                ),
            ],
        )

        self.stream = firehose.CfnDeliveryStream(
            self,
            self.STREAM_ID,
            delivery_stream_name=props.stream_name,
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=(
                firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                    key_type="CUSTOMER_MANAGED_CMK", key_arn=props.stream_key.key_arn
                )
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=bucket_arn,
                role_arn=self.delivery_role.role_arn,
                prefix=f"{object_prefix}/!{{timestamp:yyyy/MM/dd/HH}}/",
                error_output_prefix=(
                    f"{object_prefix}/errors/!{{firehose:error-output-type}}/"
                    "!{timestamp:yyyy/MM/dd/HH}/"
                ),
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=300, size_in_m_bs=5
                ),
                # Subscription records arrive gzip-compressed already; the bucket's default
                # encryption (the archive key) encrypts every object.
                compression_format="UNCOMPRESSED",
            ),
        )

        # CloudWatch Logs puts the subscribed events into the stream as this role.
        self.subscription_role = iam.Role(
            self,
            "SubscriptionRole",
            # CloudWatch Logs guide, "Subscription filters with Amazon Data Firehose".
            assumed_by=iam.ServicePrincipal(
                "logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account}:log-group:*"},
                },
            ),
            description=f"{props.stream_name}: CloudWatch Logs subscriptions into the stream",
        )
        iam.ManagedPolicy(
            self,
            "SubscriptionPolicy",
            roles=[self.subscription_role],
            description=f"{props.stream_name}: put subscribed log events into the stream",
            statements=[
                iam.PolicyStatement(
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[self.stream.attr_arn],
                )
            ],
        )
        for index, group in enumerate(props.log_groups):
            subscription = logs.CfnSubscriptionFilter(
                self,
                f"Subscription{index}",
                log_group_name=group.log_group_name,
                filter_pattern="",
                destination_arn=self.stream.attr_arn,
                role_arn=self.subscription_role.role_arn,
            )
            subscription.node.add_dependency(self.subscription_role)


def _bucket_region(props: ArchiveLogShippingProps) -> str:
    # arn:aws:kms:<region>:<account>:key/*
    return props.archive_key_arn_pattern.split(":")[3]
