"""The values an environment publishes for the delivery pipeline: SSM parameters
``/<project>/<env>/deploy/<key>`` (``naming.DEPLOYMENT_PARAMETERS``), read by
``deploy/scripts`` and, for the deploy runner's network (``RUNNER_DEPLOYMENT_PARAMETERS``),
by CloudFormation when the delivery stacks deploy. Each stack publishes what it owns;
names only, no secret values (the secrets' ids, never their contents)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_ssm as ssm
from constructs import Construct


@dataclass(frozen=True)
class DeploymentParameter:
    name: str
    value: str | Sequence[str]
    """A string, or a list (published as a StringList)."""
    description: str


class DeploymentParameters(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, parameters: Mapping[str, DeploymentParameter]
    ) -> None:
        super().__init__(scope, construct_id)
        self.parameters: dict[str, ssm.StringParameter | ssm.StringListParameter] = {}
        for key, p in parameters.items():
            if isinstance(p.value, str):
                self.parameters[key] = ssm.StringParameter(
                    self,
                    key,
                    parameter_name=p.name,
                    string_value=p.value,
                    description=p.description,
                )
            else:
                self.parameters[key] = ssm.StringListParameter(
                    self,
                    key,
                    parameter_name=p.name,
                    string_list_value=list(p.value),
                    description=p.description,
                )
