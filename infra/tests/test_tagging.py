"""The tagging standard (innovate_infra/tagging.py)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnResource
from aws_cdk.assertions import Template
from innovate_infra.tagging import apply_standard_tags

from tests.helpers import new_stack


def test_standard_tags_reach_raw_l1_resources(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    CfnResource(
        stack,
        "RawRole",
        type="AWS::IAM::Role",
        properties={"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
    )
    apply_standard_tags(stack, {"Project": "p", "Owner": "o"})
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Role",
        {"Tags": [{"Key": "Owner", "Value": "o"}, {"Key": "Project", "Value": "p"}]},
    )
