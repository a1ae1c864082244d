"""The tagging standard: Project, Environment, Owner, CostCenter, DataClassification on
every taggable resource, including the raw L1 resources that CDK's tag aspect misses."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, TagManager, Tags
from constructs import IConstruct

# Types that CDK creates as plain CfnResource (e.g. the custom-resource provider's role
# and handler) and that CloudFormation can tag with a Key/Value list.
_LIST_TAGGED_RAW_TYPES = frozenset({"AWS::IAM::Role", "AWS::Lambda::Function"})


@jsii.implements(IAspect)
class _TagRawResources:
    def __init__(self, tags: Mapping[str, str]) -> None:
        self._tags = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]

    def visit(self, node: IConstruct) -> None:
        if (
            isinstance(node, CfnResource)
            and node.cfn_resource_type in _LIST_TAGGED_RAW_TYPES
            and not TagManager.is_taggable(node)
        ):
            node.add_property_override("Tags", self._tags)


def apply_standard_tags(scope: IConstruct, tags: Mapping[str, str]) -> None:
    """Tag every taggable resource below ``scope`` (a stage or a stack)."""
    for key, value in tags.items():
        Tags.of(scope).add(key, value)
    Aspects.of(scope).add(_TagRawResources(tags))
