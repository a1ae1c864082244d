"""cdk-nag acknowledgments for the accounts stacks, each with an auditor-grade reason.

cdk-nag 3 runs as a CDK validation plugin; a finding is acknowledged per id on the
construct it is reported for (``Validations.of(scope).acknowledge``). Wildcard IAM
findings carry their evidence in the id (``AwsSolutions-IAM5[Resource::*]``), so
each wildcard is acknowledged on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

MIN_REASON_LENGTH = 40

# Pack prefixes as cdk-nag reports them ("<pack>::<rule>").
AWS_SOLUTIONS = "AwsSolutions::AwsSolutions-"
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
HIPAA = "HIPAA.Security::HIPAA.Security-"


def acknowledge(scope: IConstruct, rule_ids: Iterable[str], reason: str) -> None:
    """Acknowledge findings on ``scope`` (and everything below it) with one reason."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgment reason too short to audit: {reason!r}")
    for rule_id in rule_ids:
        Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def both_compliance_packs(rule: str) -> list[str]:
    """The NIST 800-53 r5 and HIPAA ids of a rule both packs share (e.g. ``S3BucketReplicationEnabled``)."""
    return [NIST + rule, HIPAA + rule]


def checkov_skip(resource: IConstruct, check_id: str, reason: str) -> None:
    """Mark a CloudFormation resource with checkov skip metadata and its reason.

    ``resource`` is an L1 ``CfnResource`` or an L2 whose default child is one.
    Existing skips on the resource are kept.
    """
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"checkov skip reason too short to audit: {reason!r}")
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource to mark")
    existing = cfn.get_metadata("checkov") or {}
    skips = [s for s in existing.get("skip", []) if s.get("id") != check_id]
    skips.append({"id": check_id, "comment": reason})
    cfn.add_metadata("checkov", {"skip": skips})
