"""One-time organization API calls CloudFormation has no resource type for.

Enabling policy types, trusted service access and delegated administrators are
single API calls made from the management account. They run through CDK's
``AwsCustomResource`` (a provider Lambda shipped inside aws-cdk-lib, no bundling).
Nothing is undone on stack deletion: removing a stack must never silently switch
off a guardrail or a security delegation; that is a deliberate manual act.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from innovate_infra.accounts import nag


class OrganizationApiCall(Construct):
    """An idempotent ``on_create``/``on_update`` SDK call, with least-privilege statements."""

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
    ) -> None:
        super().__init__(scope, construct_id)
        call = cr.AwsSdkCall(
            service=service,
            action=action,
            parameters=parameters,
            physical_resource_id=cr.PhysicalResourceId.of(physical_id),
            ignore_error_codes_matching=ignore_errors,
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Call",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(list(statements)),
            install_latest_aws_sdk=False,
            role=role,
        )

    def skip_unconstrained_write_check(self, reason: str) -> None:
        """checkov CKV_AWS_111 for a call whose write action has no resource-level scoping."""
        nag.checkov_skip(self.resource.node.find_child("CustomResourcePolicy"), "CKV_AWS_111", reason)


# Construct id of the singleton provider function AwsCustomResource adds to a stack.
PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"


def acknowledge_provider(stack: Construct) -> None:
    """Findings on the shared AwsCustomResource provider Lambda of ``stack``."""
    provider = stack.node.try_find_child(PROVIDER_ID)
    if provider is None:
        raise ValueError(f"{stack.node.path} has no AwsCustomResource provider to acknowledge")
    for check_id, reason in (
        (
            "CKV_AWS_115",
            "Deployment-time provider invoked once per change by CloudFormation; "
            "reserved concurrency would only waste account capacity.",
        ),
        (
            "CKV_AWS_116",
            "Invoked synchronously by CloudFormation, which reports and rolls back "
            "failures; there is no asynchronous event to dead-letter.",
        ),
        (
            "CKV_AWS_117",
            "Calls only public AWS control-plane APIs during deployments and handles "
            "no workload data; a VPC would add NAT cost without reducing exposure.",
        ),
    ):
        nag.checkov_skip(provider, check_id, reason)
    nag.acknowledge(
        stack,
        [
            nag.AWS_SOLUTIONS + "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]"
        ],
        "The CDK AwsCustomResource provider Lambda only writes its own CloudWatch log stream "
        "through AWSLambdaBasicExecutionRole; its API permissions are the explicit statements "
        "listed per call.",
    )
    nag.acknowledge(
        stack,
        [nag.AWS_SOLUTIONS + "L1"],
        "The AwsCustomResource provider runtime is pinned by aws-cdk-lib and upgraded with it; "
        "the function runs only during deployments.",
    )
    nag.acknowledge(
        stack,
        nag.both_compliance_packs("IAMNoInlinePolicy"),
        "Each AwsCustomResource call carries its own least-privilege statements as an inline "
        "policy on the provider role, so the grant lives and dies with the call and cannot be "
        "attached to any other principal.",
    )
    nag.acknowledge(
        stack,
        nag.both_compliance_packs("LambdaConcurrency")
        + nag.both_compliance_packs("LambdaDLQ")
        + nag.both_compliance_packs("LambdaInsideVPC"),
        "The AwsCustomResource provider is invoked synchronously by CloudFormation only during "
        "deployments; CloudFormation reports and retries failures (no DLQ needed), it needs no "
        "reserved concurrency, and it calls only public AWS control-plane APIs (no VPC data path).",
    )
