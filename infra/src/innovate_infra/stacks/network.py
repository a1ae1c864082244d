"""Stateless stack: the environment's network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from innovate_infra.constructs.network import Network, NetworkProps


@dataclass(frozen=True)
class NetworkStackProps:
    network: NetworkProps


class NetworkStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: NetworkStackProps, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.network = Network(self, "Network", props=props.network)
