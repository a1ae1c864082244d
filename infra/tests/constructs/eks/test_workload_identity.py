"""WorkloadIdentity in isolation, with a test secret: the role only EKS Pod Identity of
this cluster may assume, reading only its secrets, decrypting only through Secrets
Manager (evaluated with compliance/policy_eval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from innovate_infra.compliance.policy_eval import (
    Decision,
    Principal,
    Request,
    TemplateContext,
    authorize,
    resolve,
)
from innovate_infra.constructs.eks.workload_identity import WorkloadIdentity, WorkloadIdentityProps

from tests.helpers import ENV, new_stack, resources_of

ACCOUNT = str(ENV.account)
REGION = str(ENV.region)
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/test"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:test-app-AbCdEf"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111"
PODS = Principal.of_service("pods.eks.amazonaws.com")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from aws_cdk.assertions import Template

    stack = new_stack(tmp_path_factory.mktemp("identity"))
    cluster = eks.Cluster.from_cluster_attributes(stack, "Cluster", cluster_name="test")
    key = kms.Key(stack, "Key")
    secret = secretsmanager.Secret(stack, "Secret", encryption_key=key)
    WorkloadIdentity(
        stack,
        "Api",
        props=WorkloadIdentityProps(
            cluster=cluster,
            namespace="innovate",
            service_account="api",
            description="test",
            secret_arns=(secret.secret_arn,),
            secrets_key=key,
        ),
    )
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


def _ctx(template: dict[str, Any]) -> TemplateContext:
    [secret] = resources_of(template, "AWS::SecretsManager::Secret")
    [key] = resources_of(template, "AWS::KMS::Key")
    return TemplateContext(
        account=ACCOUNT, region=REGION, references={secret: SECRET_ARN, f"{key}.Arn": KEY_ARN}
    )


def trust(template: dict[str, Any]) -> dict[str, Any]:
    [role] = resources_of(template, "AWS::IAM::Role").values()
    return role["Properties"]["AssumeRolePolicyDocument"]  # type: ignore[no-any-return]


def test_association_names_the_service_account(template: dict[str, Any]) -> None:
    [association] = resources_of(template, "AWS::EKS::PodIdentityAssociation").values()
    props = association["Properties"]
    assert (props["Namespace"], props["ServiceAccount"], props["ClusterName"]) == (
        "innovate",
        "api",
        "test",
    )


@pytest.mark.parametrize(
    ("source_arn", "source_account", "expected"),
    [
        (CLUSTER_ARN, ACCOUNT, Decision.ALLOW),
        (f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/other", ACCOUNT, Decision.IMPLICIT_DENY),
        (CLUSTER_ARN, "999999999999", Decision.IMPLICIT_DENY),
    ],
)
def test_only_pod_identity_of_this_cluster_assumes_it(
    template: dict[str, Any], source_arn: str, source_account: str, expected: Decision
) -> None:
    policy = resolve(trust(template), _ctx(template))
    for action in ("sts:AssumeRole", "sts:TagSession"):
        request = Request(
            PODS, action, "*", {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account}
        )
        assert authorize(request, resource_policy=policy, resource_policy_required=True) is expected


def test_others_cannot_assume_it(template: dict[str, Any]) -> None:
    policy = resolve(trust(template), _ctx(template))
    for principal in (
        Principal.of_service("ec2.amazonaws.com"),
        Principal.role(ACCOUNT, "someone"),
    ):
        request = Request(principal, "sts:AssumeRole", "*", {"aws:SourceArn": CLUSTER_ARN})
        assert (
            authorize(request, resource_policy=policy, resource_policy_required=True)
            is not Decision.ALLOW
        )


def test_reads_its_secret_only_and_decrypts_through_secrets_manager(
    template: dict[str, Any],
) -> None:
    [policy] = resources_of(template, "AWS::IAM::ManagedPolicy").values()
    document = resolve(policy["Properties"]["PolicyDocument"], _ctx(template))
    role = Principal.role(ACCOUNT, "api-role")

    def decide(action: str, resource: str, context: dict[str, Any] | None = None) -> Decision:
        return authorize(
            Request(role, action, resource, context or {}), identity_policies=[document]
        )

    assert decide("secretsmanager:GetSecretValue", SECRET_ARN) is Decision.ALLOW
    other = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:other-XyZaBc"
    assert decide("secretsmanager:GetSecretValue", other) is Decision.IMPLICIT_DENY
    assert decide("secretsmanager:PutSecretValue", SECRET_ARN) is Decision.IMPLICIT_DENY
    via = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    assert decide("kms:Decrypt", KEY_ARN, via) is Decision.ALLOW
    assert decide("kms:Decrypt", KEY_ARN) is Decision.IMPLICIT_DENY
    assert (
        decide("kms:Decrypt", KEY_ARN, {"kms:ViaService": f"s3.{REGION}.amazonaws.com"})
        is Decision.IMPLICIT_DENY
    )
    assert decide("kms:Encrypt", KEY_ARN, via) is Decision.IMPLICIT_DENY


def test_secrets_without_their_key_are_refused(tmp_path: Path) -> None:
    stack = new_stack(tmp_path)
    cluster = eks.Cluster.from_cluster_attributes(stack, "Cluster", cluster_name="test")
    with pytest.raises(ValueError, match="need the key"):
        WorkloadIdentity(
            stack,
            "Api",
            props=WorkloadIdentityProps(
                cluster=cluster,
                namespace="innovate",
                service_account="api",
                description="test",
                secret_arns=(SECRET_ARN,),
            ),
        )
