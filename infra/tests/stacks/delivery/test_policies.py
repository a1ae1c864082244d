"""The delivery policies evaluated (compliance/policy_eval.py): who may pull and push the
API image, who may assume the Production deployer, and what a deploy role may touch."""

from __future__ import annotations

from typing import Any

from innovate_infra.compliance.policy_eval import (
    Principal,
    Request,
    TemplateContext,
    authorize,
    resolve,
)
from innovate_infra.config import PlatformConfig

from tests.aws_managed_policies import ADMINISTRATOR_ACCESS
from tests.helpers import resources_of

Templates = dict[str, dict[str, Any]]
REGION = "eu-west-1"
DEV = "333333333333"
PROD = "444444444444"
OTHER = "999999999999"
ORG = "o-exampleorg1"
REPO = f"arn:aws:ecr:{REGION}:{DEV}:repository/innovate-api"
PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
PUSH = ("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload")


EXPORTS: dict[str, str] = {}


def ctx(account: str) -> TemplateContext:
    return TemplateContext(account=account, region=REGION, exports=EXPORTS)


def setup_module() -> None:
    EXPORTS.clear()


def repository_policy(templates: Templates) -> dict[str, Any]:
    [repo] = resources_of(
        templates["innovate-development-delivery-artifacts"], "AWS::ECR::Repository"
    ).values()
    return dict(resolve(repo["Properties"]["RepositoryPolicyText"], ctx(DEV)))


def ecr(policy: dict[str, Any], principal: Principal, action: str) -> bool:
    return authorize(
        Request(principal, action, REPO),
        resource_account=DEV,
        resource_policy=policy,
        identity_policies=[ADMINISTRATOR_ACCESS],
    ).allowed


def test_only_production_nodes_pull_across_accounts(templates: Templates) -> None:
    policy = repository_policy(templates)
    prod_node = Principal.role(PROD, "innovate-prod-node-karpenter")
    for action in PULL:
        assert ecr(policy, prod_node, action), action
        # Any other role of Production, the same role name elsewhere, another account.
        assert not ecr(policy, Principal.role(PROD, "innovate-prod-api-pod"), action)
        assert not ecr(policy, Principal.role(OTHER, "innovate-prod-node-karpenter"), action)
        assert not ecr(policy, Principal.role(PROD, "innovate-staging-node-x"), action)
    # Pulling is all a production node may do.
    for action in PUSH:
        assert not ecr(policy, prod_node, action)


def test_only_the_image_build_pushes(templates: Templates) -> None:
    policy = repository_policy(templates)
    build = Principal.role(DEV, "innovate-security-delivery-pipeline-image")
    for action in PUSH:
        assert ecr(policy, build, action), action
        # Administrators of the Development account and the other delivery roles are denied.
        assert not ecr(
            policy, Principal.role(DEV, "innovate-security-delivery-pipeline-deploy-dev"), action
        )
        assert not ecr(policy, Principal.role(DEV, "Admin"), action)


def deployer_trust(templates: Templates) -> dict[str, Any]:
    [role] = resources_of(
        templates["innovate-production-delivery-target"], "AWS::IAM::Role"
    ).values()
    return dict(resolve(role["Properties"]["AssumeRolePolicyDocument"], ctx(PROD)))


def test_production_deployer_is_assumed_only_by_the_prod_deploy_role(templates: Templates) -> None:
    trust = deployer_trust(templates)

    def assume(principal: Principal, org: str = ORG) -> bool:
        return authorize(
            Request(principal, "sts:AssumeRole", "role", {"aws:PrincipalOrgID": org}),
            resource_account=PROD,
            resource_policy=trust,
            identity_policies=[ADMINISTRATOR_ACCESS],
            resource_policy_required=True,
        ).allowed

    prod_deploy = Principal.role(DEV, "innovate-security-delivery-pipeline-deploy-prod")
    assert assume(prod_deploy)
    assert not assume(prod_deploy, org="o-foreignorg99")
    for other in (
        Principal.role(DEV, "innovate-security-delivery-pipeline-deploy-staging"),
        Principal.role(DEV, "innovate-security-delivery-pipeline-image"),
        Principal.role(DEV, "Admin"),
        Principal.role(OTHER, "innovate-security-delivery-pipeline-deploy-prod"),
        Principal.role(PROD, "innovate-security-delivery-pipeline-deploy-prod"),
    ):
        assert not assume(other), other.arn
    assert not assume(Principal.of_service("codebuild.amazonaws.com"))


def managed_policy(
    templates: Templates, stack: str, path_part: str, account: str
) -> dict[str, Any]:
    # The delivery key's ARN, exported by the artifacts stack, read as a placeholder.
    for template in templates.values():
        for output in template.get("Outputs", {}).values():
            export = output.get("Export", {}).get("Name")
            if isinstance(export, str):
                EXPORTS[export] = f"arn:aws:kms:{REGION}:{DEV}:key/<{export}>"
    for lid, policy in resources_of(templates[stack], "AWS::IAM::ManagedPolicy").items():
        if lid.startswith(path_part):
            return dict(resolve(policy["Properties"]["PolicyDocument"], ctx(account)))
    raise AssertionError(f"no managed policy {path_part}* in {stack}")


def may(document: dict[str, Any], account: str, action: str, resource: str, **context: Any) -> bool:
    principal = Principal.role(account, "deployer")
    return authorize(
        Request(principal, action, resource, context), identity_policies=[document]
    ).allowed


def test_deployers_touch_their_own_environment_only(
    templates: Templates, platform: PlatformConfig
) -> None:
    dev = managed_policy(
        templates, "innovate-development-delivery-pipeline", "DeployDevPolicy", DEV
    )
    prod = managed_policy(templates, "innovate-production-delivery-target", "DeployerPolicy", PROD)
    cases = [(dev, DEV, "dev", "staging"), (prod, PROD, "prod", "dev")]
    for document, account, own, other in cases:
        param = f"arn:aws:ssm:{REGION}:{account}:parameter/innovate/{{}}/deploy/cluster-name"
        assert may(document, account, "ssm:GetParameter", param.format(own))
        assert not may(document, account, "ssm:GetParameter", param.format(other))
        # The CloudFront side's parameters are in us-east-1 (the web stack's region).
        edge = f"arn:aws:ssm:us-east-1:{account}:parameter/innovate/{{}}/deploy/spa-bucket-name"
        assert may(document, account, "ssm:GetParameter", edge.format(own))
        assert not may(document, account, "ssm:GetParameter", edge.format(other))
        elsewhere = f"arn:aws:ssm:eu-central-1:{account}:parameter/innovate/{own}/deploy/spa-url"
        assert not may(document, account, "ssm:GetParameter", elsewhere)
        cluster = f"arn:aws:eks:{REGION}:{account}:cluster/c"
        assert may(
            document,
            account,
            "eks:DescribeCluster",
            cluster,
            **{"aws:ResourceTag/Environment": own},
        )
        assert not may(
            document,
            account,
            "eks:DescribeCluster",
            cluster,
            **{"aws:ResourceTag/Environment": other},
        )
        assert may(
            document, account, "s3:PutObject", f"arn:aws:s3:::innovate-{own}-spa-x/index.html"
        )
        assert not may(
            document, account, "s3:PutObject", f"arn:aws:s3:::innovate-{other}-spa-x/index.html"
        )
        assert not may(document, account, "s3:PutObject", "arn:aws:s3:::innovate-logs-flowlogs-x/a")
        distribution = f"arn:aws:cloudfront::{account}:distribution/E123"
        assert may(
            document,
            account,
            "cloudfront:CreateInvalidation",
            distribution,
            **{"aws:ResourceTag/Environment": own},
        )
        assert not may(
            document,
            account,
            "cloudfront:CreateInvalidation",
            distribution,
            **{"aws:ResourceTag/Environment": other},
        )
        key = f"arn:aws:kms:{REGION}:{account}:key/k"
        via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
        assert may(
            document,
            account,
            "kms:GenerateDataKey",
            key,
            **via_s3,
            **{"kms:ResourceAliases": [f"alias/innovate/{own}/data"]},
        )
        assert not may(
            document,
            account,
            "kms:GenerateDataKey",
            key,
            **via_s3,
            **{"kms:ResourceAliases": [f"alias/innovate/{own}/secrets"]},
        )
        assert not may(
            document,
            account,
            "kms:Decrypt",
            key,
            **{"kms:ResourceAliases": [f"alias/innovate/{own}/data"]},
        )
        # Nothing beyond the deploy: no IAM, no other data.
        assert not may(document, account, "iam:PassRole", f"arn:aws:iam::{account}:role/x")
        assert not may(document, account, "secretsmanager:GetSecretValue", "*")


def test_prod_deploy_project_may_only_assume_the_production_deployer(templates: Templates) -> None:
    document = managed_policy(
        templates, "innovate-development-delivery-pipeline", "DeployProdPolicy", DEV
    )
    deployer = f"arn:aws:iam::{PROD}:role/innovate-security-delivery-deployer-prod"
    assert may(document, DEV, "sts:AssumeRole", deployer)
    assert not may(
        document,
        DEV,
        "sts:AssumeRole",
        f"arn:aws:iam::{PROD}:role/cdk-hnb659fds-deploy-role-{PROD}-{REGION}",
    )
    assert not may(document, DEV, "eks:DescribeCluster", f"arn:aws:eks:{REGION}:{DEV}:cluster/c")
