"""EncryptionKey in isolation (aws_cdk.assertions.Template on a small stack)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk.assertions import Match, Template
from innovate_infra.constructs.kms.encryption_key import EncryptionKey, EncryptionKeyProps

from tests.helpers import new_stack


def test_encryption_key_policy(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    EncryptionKey(
        stack,
        "Data",
        props=EncryptionKeyProps(
            purpose="data",
            alias="alias/test/data",
            description="test",
            removal_policy=RemovalPolicy.RETAIN,
            via_services=("s3.eu-west-1.amazonaws.com",),
            allow_grants_via_services=True,
        ),
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource(
        "AWS::KMS::Key",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "EnableKeyRotation": True,
                    "PendingWindowInDays": 30,
                    "KeyPolicy": {
                        "Statement": Match.array_with(
                            [
                                Match.object_like(
                                    {
                                        "Sid": "UseThroughApprovedServices",
                                        "Condition": {
                                            "StringEquals": {
                                                "kms:CallerAccount": "333333333333",
                                                "kms:ViaService": ["s3.eu-west-1.amazonaws.com"],
                                            }
                                        },
                                    }
                                ),
                                Match.object_like(
                                    {
                                        "Sid": "GrantsForAwsResourcesThroughApprovedServices",
                                        "Condition": Match.object_like(
                                            {"Bool": {"kms:GrantIsForAWSResource": "true"}}
                                        ),
                                    }
                                ),
                            ]
                        ),
                        "Version": "2012-10-17",
                    },
                }
            ),
        },
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/test/data"})
