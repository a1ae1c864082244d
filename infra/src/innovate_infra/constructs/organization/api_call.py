"""One-time organization API calls CloudFormation has no resource type for.

Enabling policy types, trusted service access and delegated administrators are
single API calls made from the management account. They run through CDK's
``AwsCustomResource`` (a provider Lambda shipped inside aws-cdk-lib, no bundling).
Nothing is undone on stack deletion: removing a stack must never silently switch
off a guardrail or a security delegation; that is a deliberate manual act.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct


class OrganizationApiCall(Construct):
    """An idempotent ``on_create``/``on_update`` SDK call, with least-privilege statements."""

    # Id of the AwsCustomResource inside (suppressions select its inline policy by it).
    CALL_ID: ClassVar[str] = "Call"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        action: str,
        parameters: dict[str, object],
        physical_id: str,
        statements: Sequence[iam.PolicyStatement],
        ignore_errors: str | None = None,
        role: iam.IRole | None = None,
        region: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        call = cr.AwsSdkCall(
            service=service,
            action=action,
            parameters=parameters,
            physical_resource_id=cr.PhysicalResourceId.of(physical_id),
            ignore_error_codes_matching=ignore_errors,
            # Services with one global endpoint (Cost Explorer: us-east-1) need it named.
            region=region,
        )
        self.resource = cr.AwsCustomResource(
            self,
            self.CALL_ID,
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(list(statements)),
            install_latest_aws_sdk=False,
            role=role,
        )
