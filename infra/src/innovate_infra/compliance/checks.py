"""Attaches the policy gates that run inside the synth to an App (or any scope)."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Acknowledgment, Aspects, CfnResource, IAspect, Stage, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import IConstruct

from innovate_infra.compliance.suppressions import (
    ACKNOWLEDGMENTS,
    CHECKOV_SKIPS,
    CheckovSkip,
    NagAcknowledgment,
)

NAG_PACKS = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security")


@jsii.implements(IAspect)
class ApplyNagAcknowledgments:
    def __init__(self, acknowledgments: Sequence[NagAcknowledgment]) -> None:
        self._acknowledgments = acknowledgments

    def visit(self, node: IConstruct) -> None:
        for ack in self._acknowledgments:
            if ack.matcher.matches(node):
                Validations.of(node).acknowledge(
                    *(Acknowledgment(id=rule_id, reason=ack.reason) for rule_id in ack.rule_ids)
                )


@jsii.implements(IAspect)
class ApplyCheckovSkips:
    def __init__(self, skips: Sequence[CheckovSkip]) -> None:
        self._skips = skips

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        entries = [
            {"id": skip.check_id, "comment": skip.reason}
            for skip in self._skips
            if skip.matcher.matches(node)
        ]
        if entries:
            node.add_metadata("checkov", {"skip": entries})


def stages_under(app: Stage) -> list[Stage]:
    """The app and every stage below it (aspects do not cross stage boundaries)."""
    return [
        app,
        *(node for node in app.node.find_all() if isinstance(node, Stage) and node is not app),
    ]


def enable_compliance(app: Stage) -> None:
    """cdk-nag's three packs as blocking validation plugins over the whole app, plus the
    one list of acknowledgments and the one list of checkov skips (``suppressions.py``)
    on every stage.

    Call it after every stage has been added (``build_estate`` does): CDK aspects are
    not inherited across stage boundaries, so each stage gets them explicitly.
    """
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app),
        NIST80053R5Checks(app),
        HIPAASecurityChecks(app),
    )
    for stage in stages_under(app):
        Aspects.of(stage).add(ApplyNagAcknowledgments(ACKNOWLEDGMENTS))
        Aspects.of(stage).add(ApplyCheckovSkips(CHECKOV_SKIPS))
