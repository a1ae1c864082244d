"""Every checkov skip of the estate, with its reason, in one place.

Skips are written into the matched resources' CloudFormation Metadata
(``checkov: skip: [{id, comment}]``), which checkov honours; the gate also
refuses any skip that is not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from innovate_infra.accounts.compliance import ACCOUNTS_CHECKOV_SKIPS
from innovate_infra.compliance.matching import ResourceMatcher


@dataclass(frozen=True)
class CheckovSkip:
    check_id: str
    matcher: ResourceMatcher
    reason: str


# CDK's own deploy-time handler that removes the rules of each VPC's default security
# group (Vpc(restrict_default_security_group=True)); CDK ships it pre-bundled.
RESTRICT_DEFAULT_SG_HANDLER = ResourceMatcher(
    cfn_type="AWS::Lambda::Function",
    path_pattern=r"/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler$",
    description="CDK's custom-resource handler that strips the VPC default security group",
)

_HANDLER_CONTEXT = (
    "CDK-managed custom-resource handler that CloudFormation invokes only while a stack "
    "deploys, to remove every rule from the VPC's default security group (the control that "
    "NIST SC-7 / CKV2_AWS_12 ask for). It holds no data and serves no traffic. "
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

# Management and security/logs account stacks (issue #4): declared in
# innovate_infra/accounts/compliance.py (same fields as this dataclass).
CHECKOV_SKIPS += tuple(CheckovSkip(*entry) for entry in ACCOUNTS_CHECKOV_SKIPS)
