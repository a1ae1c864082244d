"""Selecting the CloudFormation resources that a suppression applies to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import CfnResource
from constructs import IConstruct


@dataclass(frozen=True)
class ResourceMatcher:
    """Matches L1 resources by CloudFormation type and construct path (regular expression,
    searched in the path relative to the stage, e.g. ``Network/Network/Vpc/...``).

    ``description`` says in words what is matched; it is printed in gate summaries.
    """

    cfn_type: str
    path_pattern: str
    description: str

    def matches(self, node: IConstruct) -> bool:
        if not isinstance(node, CfnResource) or node.cfn_resource_type != self.cfn_type:
            return False
        return re.search(self.path_pattern, node.node.path) is not None
