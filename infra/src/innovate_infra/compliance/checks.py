"""Attaches the policy gates that run inside the synth to an App (or any scope)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jsii
from aws_cdk import Acknowledgment, Aspects, CfnResource, IAspect, Stage, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment
from innovate_infra.compliance.suppressions import Suppressions

# The cdk-nag packs that block the synth, by the plugin name they report under
# (``gates.py`` expects a report from each).
NAG_PACKS: dict[str, Callable[..., NagPack]] = {
    "AwsSolutions": AwsSolutionsChecks,
    "NIST.800.53.R5": NIST80053R5Checks,
    "HIPAA.Security": HIPAASecurityChecks,
}


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


def enable_compliance(app: Stage, suppressions: Suppressions) -> None:
    """cdk-nag's packs as blocking validation plugins over the whole app, plus the one
    registry of acknowledgments and checkov skips (``suppressions/``) on every stage.

    Call it after every stage has been added (``build_platform`` does): CDK aspects are
    not inherited across stage boundaries, so each stage gets them explicitly.
    """
    Validations.of(app).add_plugins(*(pack(app) for pack in NAG_PACKS.values()))
    for stage in stages_under(app):
        apply_suppressions(stage, suppressions)


def apply_suppressions(stage: Stage, suppressions: Suppressions) -> None:
    """The registry's acknowledgments and checkov skips on one stage. A stage added after
    ``enable_compliance`` (the infrastructure pipeline's) gets them this way; a stage must
    have them before anything synthesizes it (CDK Pipelines does when a stage is added)."""
    Aspects.of(stage).add(ApplyNagAcknowledgments(suppressions.acknowledgments))
    Aspects.of(stage).add(ApplyCheckovSkips(suppressions.checkov_skips))
