"""A deliberately non-compliant app: every gate must report it."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import (
    Acknowledgment,
    App,
    CfnParameter,
    CfnResource,
    Environment,
    Stack,
    Stage,
    Validations,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from innovate_infra.app import create_app
from innovate_infra.compliance.checks import enable_compliance
from innovate_infra.compliance.gates import platform_suppressions


def build_noncompliant(app: App) -> None:
    stage = Stage(app, "fixture", env=Environment(account="333333333333", region="eu-west-1"))
    stack = Stack(stage, "Bad", stack_name="fixture-noncompliant")
    # An unencrypted bucket: no encryption, no public access block, no logging, no TLS policy.
    bucket = s3.CfnBucket(stack, "UnencryptedBucket")
    # A skip and an acknowledgment that are NOT declared in the compliance modules.
    bucket.add_metadata("checkov", {"skip": [{"id": "CKV_AWS_21", "comment": "because I said so"}]})
    Validations.of(bucket).acknowledge(
        Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason="undeclared acknowledgment")
    )
    # A security group open to the world on SSH.
    vpc = ec2.CfnVPC(stack, "Vpc", cidr_block="10.99.0.0/16")
    ec2.CfnSecurityGroup(
        stack,
        "OpenToTheWorld",
        group_description="SSH from anywhere",
        vpc_id=vpc.ref,
        security_group_ingress=[
            ec2.CfnSecurityGroup.IngressProperty(
                ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="0.0.0.0/0"
            )
        ],
    )
    # Template errors and warnings for cfn-lint (and CDK's own validation).
    CfnResource(stack, "Misspelt", type="AWS::SQS::Queue", properties={"QueueNme": "typo"})
    CfnParameter(stack, "UnusedParameter", type="String", default="unused")


def synth_with_gates(outdir: Path) -> None:
    """Synthesize the fixture with cdk-nag and CDK validation on (expected to raise)."""
    app = create_app(outdir=outdir)
    build_noncompliant(app)
    enable_compliance(app, platform_suppressions())
    app.synth(validate_on_synthesis=True)


def synth_templates_only(outdir: Path) -> None:
    """Synthesize the fixture's templates without in-synth gates, for cfn-lint and checkov."""
    app = App(
        outdir=str(outdir), analytics_reporting=False, builtin_cloud_formation_validation=False
    )
    build_noncompliant(app)
    app.synth()
