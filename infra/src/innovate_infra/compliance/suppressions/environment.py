"""Suppressions of the environment stacks (stages dev, staging, prod: keys, logging,
network), each with its reason. Collected by ``suppressions/__init__.py``."""

from __future__ import annotations

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment, ResourceMatcher
from innovate_infra.compliance.suppressions.rules import both
from innovate_infra.constructs.network.vpc import PUBLIC, Network
from innovate_infra.naming import Naming
from innovate_infra.stacks.environment.network import NetworkStack

# The singleton provider CDK adds to a stack for Vpc(restrict_default_security_group=True);
# CDK ships its handler pre-bundled.
RESTRICT_DEFAULT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"

PUBLIC_SUBNET_DEFAULT_ROUTE = ResourceMatcher(
    cfn_type="AWS::EC2::Route",
    stacks=(NetworkStack,),
    path=rf"{NetworkStack.NETWORK_ID}/{Network.VPC_ID}/{PUBLIC}Subnet\d+/DefaultRoute",
    description="default route (0.0.0.0/0 -> internet gateway) of each VPC public subnet",
)

RESTRICT_DEFAULT_SG_HANDLER = ResourceMatcher(
    cfn_type="AWS::Lambda::Function",
    stacks=(NetworkStack,),
    path=f"{RESTRICT_DEFAULT_SG_PROVIDER}/Handler",
    description="CDK's custom-resource handler that strips the VPC default security group",
)

_HANDLER_CONTEXT = (
    "CDK-managed custom-resource handler that CloudFormation invokes only while a stack "
    "deploys, to remove every rule from the VPC's default security group (the control that "
    "NIST SC-7 / CKV2_AWS_12 ask for). It holds no data and serves no traffic. "
)

ACKNOWLEDGMENTS: tuple[NagAcknowledgment, ...] = (
    NagAcknowledgment(
        rule_ids=both("VPCNoUnrestrictedRouteToIGW"),
        matcher=PUBLIC_SUBNET_DEFAULT_ROUTE,
        reason=(
            "Public subnets exist only to hold the NAT gateways (and later internet-facing edge "
            "pieces that a later issue must justify). A NAT gateway needs a 0.0.0.0/0 route to "
            "the internet gateway to work. Workloads never run there: private subnets route "
            "0.0.0.0/0 to the Network Firewall endpoint (staging, prod) or the NAT gateway (dev), "
            "isolated subnets have no internet route, public subnets do not assign public IPs "
            "(MapPublicIpOnLaunch false), and egress is filtered by the domain allow-list. "
            "Asserted by tests/stacks/environment/test_network.py."
        ),
    ),
)

CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip(
        "CKV_AWS_115",
        RESTRICT_DEFAULT_SG_HANDLER,
        _HANDLER_CONTEXT + "Reserved concurrency is pointless: it runs once per deployment, "
        "serially, driven by CloudFormation.",
    ),
    CheckovSkip(
        "CKV_AWS_116",
        RESTRICT_DEFAULT_SG_HANDLER,
        _HANDLER_CONTEXT + "It is invoked synchronously by CloudFormation, which records any "
        "failure and rolls the deployment back; a dead-letter queue would never receive events.",
    ),
    CheckovSkip(
        "CKV_AWS_117",
        RESTRICT_DEFAULT_SG_HANDLER,
        _HANDLER_CONTEXT + "It only calls the EC2 API and must run before the VPC it fixes is "
        "usable, so it cannot itself be placed in that VPC.",
    ),
)


def acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    return ACKNOWLEDGMENTS


def checkov_skips(naming: Naming) -> tuple[CheckovSkip, ...]:
    return CHECKOV_SKIPS
