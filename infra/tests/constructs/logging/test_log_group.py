"""EncryptedLogGroup in isolation."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from innovate_infra.config.types import LOG_RETENTION_DAYS
from innovate_infra.constructs.logging.log_group import EncryptedLogGroup, EncryptedLogGroupProps

from tests.helpers import new_stack


def test_every_configurable_retention_is_written(tmp_path: Path) -> None:
    """Each retention the configuration accepts reaches the template as that number."""
    stack = new_stack(tmp_path)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    for days in LOG_RETENTION_DAYS:
        EncryptedLogGroup(
            stack,
            f"Group{days}",
            props=EncryptedLogGroupProps(
                log_group_name=f"/test/{days}",
                encryption_key=key,
                retention_days=days,
                removal_policy=RemovalPolicy.DESTROY,
            ),
        )
    groups = Template.from_stack(stack).find_resources("AWS::Logs::LogGroup")
    assert sorted(g["Properties"]["RetentionInDays"] for g in groups.values()) == sorted(
        LOG_RETENTION_DAYS
    )


def test_encrypted_log_group(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    EncryptedLogGroup(
        stack,
        "Group",
        props=EncryptedLogGroupProps(
            log_group_name="/test/group",
            encryption_key=key,
            retention_days=400,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    template = Template.from_stack(stack)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "DeletionPolicy": "Delete",
            "Properties": {
                "LogGroupName": "/test/group",
                "RetentionInDays": 400,
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^Key"), "Arn"]},
            },
        },
    )
