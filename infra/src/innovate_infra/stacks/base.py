"""The one base class of every stack: name, account and region, description, termination
protection and the tag standard, all decided by the stage that places it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Environment, Stack
from constructs import Construct

from innovate_infra.tagging import apply_standard_tags


@dataclass(frozen=True)
class StackSettings:
    name: str
    """From ``naming.Naming.stack_name``: ``<project>-<scope>-<purpose>``."""
    account: str
    region: str
    description: str
    termination_protection: bool
    tags: Mapping[str, str]


class PlatformStack(Stack):
    """Subclasses declare their ``PURPOSE`` (the last part of the stack name) and a
    ``DESCRIPTION``; stateful and stateless resources never share a stack."""

    PURPOSE: ClassVar[str]
    DESCRIPTION: ClassVar[str]

    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=settings.name,
            env=Environment(account=settings.account, region=settings.region),
            description=settings.description,
            termination_protection=settings.termination_protection,
        )
        apply_standard_tags(self, settings.tags)
