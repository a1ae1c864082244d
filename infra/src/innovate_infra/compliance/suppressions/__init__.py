"""The one registry of suppressions: every cdk-nag acknowledgment and checkov skip of
the platform, with its reason. The entries live beside the stacks they cover, one
module per stack family (``environment.py``, ``database.py``, ``cluster.py``, ``edge.py``,
``accounts.py``, ``delivery.py``; later families add
theirs and are listed in ``registry``).

The policy gates block on any finding that is not suppressed here:

* cdk-nag (AwsSolutions, NIST 800-53 rev 5, HIPAA Security) runs inside the synth;
  a ``NagAcknowledgment`` names the exact rule ids (``<pack>::<rule>[<finding>]``),
  the resources it covers and a reason an auditor can check. ``checks.py`` applies
  them as ``Validations.of(node).acknowledge(...)``; ``gates.py nag`` refuses any
  acknowledgment whose reason is not declared here.
* checkov (cloudformation): a ``CheckovSkip`` is written into the matched resources'
  CloudFormation Metadata (``checkov: skip: [{id, comment}]``), which checkov honours;
  ``gates.py checkov`` refuses any skip that is not declared here.

Resources are selected by CloudFormation type, stack class and construct path built
from their owners' construct ids (``matching.ResourceMatcher``). Keep the lists short:
fix the resource instead whenever the rule can be met. Every entry must match a
synthesized resource (``tests/compliance/test_suppressions.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment
from innovate_infra.compliance.suppressions import (
    accounts,
    cluster,
    database,
    delivery,
    edge,
    environment,
)
from innovate_infra.naming import Naming

FAMILIES = {
    "environment": environment,
    "database": database,
    "cluster": cluster,
    "accounts": accounts,
    "edge": edge,
    "delivery": delivery,
}


@dataclass(frozen=True)
class Suppressions:
    acknowledgments: tuple[NagAcknowledgment, ...]
    checkov_skips: tuple[CheckovSkip, ...]


def registry(naming: Naming) -> Suppressions:
    """Every family's entries; the aspects (``checks.py``) apply them and the gates
    (``gates.py``) accept only the reasons declared in them."""
    return Suppressions(
        acknowledgments=tuple(
            ack for family in FAMILIES.values() for ack in family.acknowledgments(naming)
        ),
        checkov_skips=tuple(
            skip for family in FAMILIES.values() for skip in family.checkov_skips(naming)
        ),
    )
