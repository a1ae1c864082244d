"""What a suppression is, and how it selects the CloudFormation resources it covers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import CfnResource, Stack, Stage
from constructs import IConstruct


@dataclass(frozen=True)
class ResourceMatcher:
    """Matches L1 resources by CloudFormation type, by the class of the stack they are in
    and by their construct path below that stack (a regular expression over the whole
    relative path, e.g. ``Network/Vpc/publicSubnet1/DefaultRoute``).

    Paths are built from the construct ids their owners export, never spelled out here;
    ``description`` says in words what is matched and is printed in gate summaries.
    """

    cfn_type: str
    stacks: tuple[type[Stack], ...]
    path: str
    description: str
    # Only in these stages (environment names), e.g. a finding that prod cannot have;
    # empty: every stage.
    stages: tuple[str, ...] = ()

    def matches(self, node: IConstruct) -> bool:
        if not isinstance(node, CfnResource) or node.cfn_resource_type != self.cfn_type:
            return False
        stack = Stack.of(node)
        if not isinstance(stack, self.stacks):
            return False
        if self.stages:
            stage = Stage.of(stack)
            if stage is None or stage.stage_name not in self.stages:
                return False
        relative = node.node.path[len(stack.node.path) + 1 :]
        return re.fullmatch(self.path, relative) is not None


@dataclass(frozen=True)
class NagAcknowledgment:
    rule_ids: tuple[str, ...]
    matcher: ResourceMatcher
    reason: str


@dataclass(frozen=True)
class CheckovSkip:
    check_id: str
    matcher: ResourceMatcher
    reason: str
