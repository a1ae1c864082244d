"""Every cdk-nag acknowledgment of the estate, with its reason, in one place.

The three packs (AwsSolutions, NIST 800-53 rev 5, HIPAA Security) block the synth
on any finding that is not acknowledged here. An acknowledgment names the exact
rule ids (``<pack>::<rule>[<finding>]``), the resources it covers (by type and
construct path, so stacks from any package are covered by the same rules), and a
reason an auditor can check. Keep this list short: fix the resource instead
whenever the rule can be met.
"""

from __future__ import annotations

from dataclasses import dataclass

from innovate_infra.accounts.compliance import ACCOUNTS_ACKNOWLEDGMENTS
from innovate_infra.compliance.matching import ResourceMatcher


@dataclass(frozen=True)
class NagAcknowledgment:
    rule_ids: tuple[str, ...]
    matcher: ResourceMatcher
    reason: str


PUBLIC_SUBNET_DEFAULT_ROUTE = ResourceMatcher(
    cfn_type="AWS::EC2::Route",
    path_pattern=r"/Network/Vpc/publicSubnet\d+/DefaultRoute$",
    description="default route (0.0.0.0/0 -> internet gateway) of each VPC public subnet",
)

ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=(
            "NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
            "HIPAA.Security::HIPAA.Security-VPCNoUnrestrictedRouteToIGW",
        ),
        matcher=PUBLIC_SUBNET_DEFAULT_ROUTE,
        reason=(
            "Public subnets exist only to hold the NAT gateways (and later internet-facing edge "
            "pieces that a later issue must justify). A NAT gateway needs a 0.0.0.0/0 route to "
            "the internet gateway to work. Workloads never run there: private subnets route "
            "0.0.0.0/0 to the Network Firewall endpoint (staging, prod) or the NAT gateway (dev), "
            "isolated subnets have no internet route, public subnets do not assign public IPs "
            "(MapPublicIpOnLaunch false), and egress is filtered by the domain allow-list. "
            "Asserted by tests/unit/test_network.py."
        ),
    ),
)

# Management and security/logs account stacks (issue #4): declared, with their matchers
# and reasons, in innovate_infra/accounts/compliance.py (same fields as this dataclass).
ACKNOWLEDGMENTS += tuple(NagAcknowledgment(*entry) for entry in ACCOUNTS_ACKNOWLEDGMENTS)
