"""The values an environment publishes for the delivery pipeline's deploy step: SSM
String parameters ``/<project>/<env>/deploy/<key>`` (``naming.DEPLOYMENT_PARAMETERS``),
read by ``deploy/scripts`` and nowhere else. Each stack publishes what it owns; names
only, no secret values (the secrets' ids, never their contents)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import aws_ssm as ssm
from constructs import Construct


@dataclass(frozen=True)
class DeploymentParameter:
    name: str
    value: str
    description: str


class DeploymentParameters(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, parameters: Mapping[str, DeploymentParameter]
    ) -> None:
        super().__init__(scope, construct_id)
        self.parameters = {
            key: ssm.StringParameter(
                self,
                key,
                parameter_name=p.name,
                string_value=p.value,
                description=p.description,
            )
            for key, p in parameters.items()
        }
