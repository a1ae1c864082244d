"""Stateless stack: the environment's network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from constructs import Construct

from innovate_infra.constructs.network.vpc import Network, NetworkProps
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class NetworkStackProps:
    network: NetworkProps


class NetworkStack(PlatformStack):
    PURPOSE = "network"
    DESCRIPTION = "VPC, NAT, Network Firewall, flow logs, endpoints (stateless)"
    NETWORK_ID: ClassVar[str] = "Network"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: NetworkStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        self.network = Network(self, self.NETWORK_ID, props=props.network)
