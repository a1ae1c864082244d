"""How cdk-nag spells rule ids, for the acknowledgments of every stack family."""

from __future__ import annotations

AWS = "AwsSolutions::AwsSolutions-"
NIST = "NIST.800.53.R5::NIST.800.53.R5-"
HIPAA = "HIPAA.Security::HIPAA.Security-"
MANAGED = "Policy::arn:<AWS::Partition>:iam::aws:policy/"


def both(rule: str) -> tuple[str, str]:
    """The same rule in the NIST 800-53 rev 5 and HIPAA Security packs."""
    return (NIST + rule, HIPAA + rule)
