"""The delivery policies evaluated (compliance/policy_eval.py): who may pull and push the
API image, who may run prod's deploy projects, what the release and publish roles may
touch, and who may read the pipeline's artifacts across accounts."""

from __future__ import annotations

from typing import Any

from innovate_infra.compliance.policy_eval import (
    Principal,
    Request,
    TemplateContext,
    authorize,
    resolve,
)

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


TARGET = "innovate-production-delivery-target"
ARTIFACTS = "innovate-development-delivery-artifacts"
PIPELINE_STACK = "innovate-development-delivery-pipeline"
BUCKET = f"innovate-delivery-artifacts-{DEV}-{REGION}"
PIPELINE_ROLE = "innovate-security-delivery-pipeline-application"
PROD_ROLES = (
    "innovate-security-delivery-deployer-prod",
    "innovate-security-delivery-publisher-prod",
    "innovate-security-delivery-pipeline-action-prod",
)


def role_named(templates: Templates, stack: str, name: str) -> dict[str, Any]:
    for role in resources_of(templates[stack], "AWS::IAM::Role").values():
        if role["Properties"]["RoleName"] == name:
            return dict(role["Properties"])
    raise AssertionError(f"no role {name} in {stack}")


def trust(templates: Templates, stack: str, name: str, account: str) -> dict[str, Any]:
    role = role_named(templates, stack, name)
    return dict(resolve(role["AssumeRolePolicyDocument"], ctx(account)))


def test_production_action_role_is_assumed_only_by_the_pipeline(templates: Templates) -> None:
    document = trust(templates, TARGET, "innovate-security-delivery-pipeline-action-prod", PROD)

    def assume(principal: Principal, org: str = ORG) -> bool:
        return authorize(
            Request(principal, "sts:AssumeRole", "role", {"aws:PrincipalOrgID": org}),
            resource_account=PROD,
            resource_policy=document,
            identity_policies=[ADMINISTRATOR_ACCESS],
            resource_policy_required=True,
        ).allowed

    pipeline = Principal.role(DEV, PIPELINE_ROLE)
    assert assume(pipeline)
    assert not assume(pipeline, org="o-foreignorg99")
    for other in (
        Principal.role(DEV, "innovate-security-delivery-pipeline-deploy-staging"),
        Principal.role(DEV, "innovate-security-delivery-pipeline-image"),
        Principal.role(DEV, "Admin"),
        Principal.role(OTHER, PIPELINE_ROLE),
        Principal.role(PROD, PIPELINE_ROLE),
    ):
        assert not assume(other), other.arn
    assert not assume(Principal.of_service("codebuild.amazonaws.com"))


def test_prods_deploy_projects_are_run_by_codebuild_for_their_own_project_only(
    templates: Templates,
) -> None:
    for role_name, project in (
        ("innovate-security-delivery-deployer-prod", "innovate-deploy-prod"),
        ("innovate-security-delivery-publisher-prod", "innovate-publish-prod"),
    ):
        document = trust(templates, TARGET, role_name, PROD)

        def assume(principal: Principal, source: str, document: dict[str, Any] = document) -> bool:
            return authorize(
                Request(
                    principal,
                    "sts:AssumeRole",
                    "role",
                    {
                        "aws:SourceAccount": PROD,
                        "aws:SourceArn": f"arn:aws:codebuild:{REGION}:{PROD}:project/{source}",
                    },
                ),
                resource_account=PROD,
                resource_policy=document,
                resource_policy_required=True,
            ).allowed

        codebuild = Principal.of_service("codebuild.amazonaws.com")
        assert assume(codebuild, project)
        assert not assume(codebuild, "innovate-someone-elses-project")
        assert not assume(Principal.role(DEV, PIPELINE_ROLE), project)


def managed_policy(
    templates: Templates, stack: str, path_part: str, account: str
) -> dict[str, Any]:
    # The delivery key's ARN, exported by the artifacts stack, read as a placeholder.
    for template in templates.values():
        for output in template.get("Outputs", {}).values():
            export = output.get("Export", {}).get("Name")
            if isinstance(export, str):
                EXPORTS[export] = f"arn:aws:kms:{REGION}:{DEV}:key/<{export}>"
    template = templates[stack]
    # The runner's network parameters (SSM, resolved at deploy time) as placeholders.
    references = {
        lid: "subnet-0a,subnet-0b,subnet-0c" if "List<" in p["Type"] else f"<{p.get('Default')}>"
        for lid, p in template.get("Parameters", {}).items()
    }
    # The stack's own topic (the pipeline announces approvals to it).
    for lid in resources_of(template, "AWS::SNS::Topic"):
        references[lid] = f"arn:aws:sns:{REGION}:{account}:{lid}"
    context = TemplateContext(
        account=account, region=REGION, exports=EXPORTS, references=references
    )
    for lid, policy in resources_of(template, "AWS::IAM::ManagedPolicy").items():
        if lid.startswith(path_part):
            return dict(resolve(policy["Properties"]["PolicyDocument"], context))
    raise AssertionError(f"no managed policy {path_part}* in {stack}")


def may(document: dict[str, Any], account: str, action: str, resource: str, **context: Any) -> bool:
    principal = Principal.role(account, "deployer")
    return authorize(
        Request(principal, action, resource, context), identity_policies=[document]
    ).allowed


def releasers_and_publishers(
    templates: Templates,
) -> list[tuple[dict[str, Any], dict[str, Any], str, str, str]]:
    return [
        (
            managed_policy(templates, PIPELINE_STACK, "DeployDevPolicy", DEV),
            managed_policy(templates, PIPELINE_STACK, "PublishDevPolicy", DEV),
            DEV, "dev", "staging",
        ),
        (
            managed_policy(templates, TARGET, "DeployerPolicy", PROD),
            managed_policy(templates, TARGET, "PublisherPolicy", PROD),
            PROD, "prod", "dev",
        ),
    ]  # fmt: skip


def test_releasers_reach_their_own_cluster_only(templates: Templates) -> None:
    for release, _, account, own, other in releasers_and_publishers(templates):
        param = f"arn:aws:ssm:{REGION}:{account}:parameter/innovate/{{}}/deploy/cluster-name"
        assert may(release, account, "ssm:GetParameter", param.format(own))
        assert not may(release, account, "ssm:GetParameter", param.format(other))
        elsewhere = f"arn:aws:ssm:eu-central-1:{account}:parameter/innovate/{own}/deploy/spa-url"
        assert not may(release, account, "ssm:GetParameter", elsewhere)
        cluster = f"arn:aws:eks:{REGION}:{account}:cluster/c"
        own_tag = {"aws:ResourceTag/Environment": own}
        assert may(release, account, "eks:DescribeCluster", cluster, **own_tag)
        assert not may(
            release, account, "eks:DescribeCluster", cluster,
            **{"aws:ResourceTag/Environment": other},
        )  # fmt: skip
        # The build's network interface: only in the runner's subnets, only for CodeBuild.
        eni = f"arn:aws:ec2:{REGION}:{account}:network-interface/eni-1"
        subnet = f"arn:aws:ec2:{REGION}:{account}:subnet/subnet-0b"
        by_codebuild = {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
        assert may(
            release, account, "ec2:CreateNetworkInterfacePermission", eni,
            **by_codebuild, **{"ec2:Subnet": subnet},
        )  # fmt: skip
        assert not may(
            release, account, "ec2:CreateNetworkInterfacePermission", eni,
            **by_codebuild, **{"ec2:Subnet": f"arn:aws:ec2:{REGION}:{account}:subnet/subnet-9z"},
        )  # fmt: skip
        assert not may(
            release, account, "ec2:CreateNetworkInterfacePermission", eni,
            **{"ec2:AuthorizedService": "lambda.amazonaws.com", "ec2:Subnet": subnet},
        )  # fmt: skip
        ec2 = f"arn:aws:ec2:{REGION}:{account}"
        assert may(release, account, "ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-0a")
        assert not may(release, account, "ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-9z")
        assert not may(
            release, account, "ec2:CreateNetworkInterface", f"{ec2}:security-group/sg-other"
        )
        assert not may(release, account, "ec2:RunInstances", f"{ec2}:instance/*")
        # No SPA, no CloudFront, no IAM, no secrets: the release only talks to the cluster.
        assert not may(
            release, account, "s3:PutObject", f"arn:aws:s3:::innovate-{own}-spa-x/index.html"
        )
        assert not may(
            release, account, "cloudfront:CreateInvalidation",
            f"arn:aws:cloudfront::{account}:distribution/E123", **own_tag,
        )  # fmt: skip
        assert not may(release, account, "iam:PassRole", f"arn:aws:iam::{account}:role/x")
        assert not may(release, account, "secretsmanager:GetSecretValue", "*")


def test_publishers_touch_their_own_spa_only(templates: Templates) -> None:
    for _, publish, account, own, other in releasers_and_publishers(templates):
        # The CloudFront side's parameters are in us-east-1 (the web stack's region).
        edge = f"arn:aws:ssm:us-east-1:{account}:parameter/innovate/{{}}/deploy/spa-bucket-name"
        assert may(publish, account, "ssm:GetParameter", edge.format(own))
        assert not may(publish, account, "ssm:GetParameter", edge.format(other))
        assert may(
            publish, account, "s3:PutObject", f"arn:aws:s3:::innovate-{own}-spa-x/index.html"
        )
        assert not may(
            publish, account, "s3:PutObject", f"arn:aws:s3:::innovate-{other}-spa-x/index.html"
        )
        assert not may(publish, account, "s3:PutObject", "arn:aws:s3:::innovate-logs-flowlogs-x/a")
        distribution = f"arn:aws:cloudfront::{account}:distribution/E123"
        assert may(
            publish, account, "cloudfront:CreateInvalidation", distribution,
            **{"aws:ResourceTag/Environment": own},
        )  # fmt: skip
        assert not may(
            publish, account, "cloudfront:CreateInvalidation", distribution,
            **{"aws:ResourceTag/Environment": other},
        )  # fmt: skip
        # No cluster and no network interface: the publish step runs outside the VPC.
        assert not may(
            publish, account, "eks:DescribeCluster", f"arn:aws:eks:{REGION}:{account}:cluster/c",
            **{"aws:ResourceTag/Environment": own},
        )  # fmt: skip
        assert not may(publish, account, "ec2:CreateNetworkInterface", "*")
        assert not may(publish, account, "iam:PassRole", f"arn:aws:iam::{account}:role/x")


def test_the_pipeline_runs_prods_projects_only_through_the_action_role(
    templates: Templates,
) -> None:
    pipeline = managed_policy(templates, PIPELINE_STACK, "PipelinePolicy", DEV)
    action_role = f"arn:aws:iam::{PROD}:role/innovate-security-delivery-pipeline-action-prod"
    assert may(pipeline, DEV, "sts:AssumeRole", action_role)
    for other in (
        f"arn:aws:iam::{PROD}:role/innovate-security-delivery-deployer-prod",
        f"arn:aws:iam::{PROD}:role/cdk-hnb659fds-deploy-role-{PROD}-{REGION}",
    ):
        assert not may(pipeline, DEV, "sts:AssumeRole", other)
    action = managed_policy(templates, TARGET, "PipelineActionPolicy", PROD)
    for project in ("innovate-deploy-prod", "innovate-publish-prod"):
        arn = f"arn:aws:codebuild:{REGION}:{PROD}:project/{project}"
        assert may(action, PROD, "codebuild:StartBuild", arn)
    assert not may(
        action, PROD, "codebuild:StartBuild", f"arn:aws:codebuild:{REGION}:{PROD}:project/other"
    )
    assert may(action, PROD, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/innovate-delivery/Source/x")
    assert not may(action, PROD, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/innovate-delivery/x")
    assert not may(action, PROD, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/elsewhere/x")


def artifact_policies(templates: Templates) -> tuple[dict[str, Any], dict[str, Any]]:
    template = templates[ARTIFACTS]
    buckets = resources_of(template, "AWS::S3::Bucket")
    [artifacts] = [lid for lid in buckets if lid.startswith("Artifacts")]
    context = TemplateContext(
        account=DEV, region=REGION, references={f"{artifacts}.Arn": f"arn:aws:s3:::{BUCKET}"}
    )
    [bucket_policy] = [
        p["Properties"]["PolicyDocument"]
        for p in resources_of(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": artifacts}
    ]
    [key] = resources_of(template, "AWS::KMS::Key").values()
    return (
        dict(resolve(bucket_policy, context)),
        dict(resolve(key["Properties"]["KeyPolicy"], context)),
    )


def test_production_reads_pipeline_artifacts_only_as_its_deploy_roles(
    templates: Templates,
) -> None:
    """What the pipeline hands prod's projects (the Source, Web and Tools artifacts): the
    bucket and the delivery key admit exactly prod's deploy, publish and action roles,
    read-only, under the pipeline's prefix, and the key only through S3."""
    bucket, key = artifact_policies(templates)
    obj = f"arn:aws:s3:::{BUCKET}/innovate-delivery/Source/abc.zip"
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "aws:SecureTransport": "true"}

    def read(principal: Principal, action: str = "s3:GetObject", resource: str = obj) -> bool:
        return authorize(
            Request(principal, action, resource, {"aws:SecureTransport": "true"}),
            resource_account=DEV,
            resource_policy=bucket,
            identity_policies=[ADMINISTRATOR_ACCESS],
        ).allowed

    def decrypt(principal: Principal, context: dict[str, str]) -> bool:
        return authorize(
            Request(principal, "kms:Decrypt", "*", context),
            resource_account=DEV,
            resource_policy=key,
            identity_policies=[ADMINISTRATOR_ACCESS],
            resource_policy_required=True,
        ).allowed

    for name in PROD_ROLES:
        role = Principal.role(PROD, name)
        assert read(role), name
        assert decrypt(role, via_s3), name
        assert not read(role, "s3:PutObject"), name
        assert not read(role, resource=f"arn:aws:s3:::{BUCKET}/other/x"), name
        # Not directly: only S3 may use the key on their behalf.
        assert not decrypt(role, {"aws:SecureTransport": "true"}), name
        assert not read(Principal.role(OTHER, name)), name
    for stranger in (Principal.role(PROD, "Admin"), Principal.role(PROD, "innovate-prod-api-pod")):
        assert not read(stranger), stranger.arn
        assert not decrypt(stranger, via_s3), stranger.arn


def test_the_daily_rebuild_may_only_start_the_pipeline(templates: Templates) -> None:
    """The schedule may start only the rebuild state machine; the state machine may only
    list and start the application pipeline's executions."""
    pipeline = f"arn:aws:codepipeline:{REGION}:{DEV}:innovate-delivery"
    machine = f"arn:aws:states:{REGION}:{DEV}:stateMachine:innovate-delivery-rebuild"
    schedule = managed_policy(templates, PIPELINE_STACK, "RebuildSchedulePolicy", DEV)
    assert may(schedule, DEV, "states:StartExecution", machine)
    assert not may(schedule, DEV, "states:StartExecution", f"{machine}-other")
    assert not may(schedule, DEV, "codepipeline:StartPipelineExecution", pipeline)
    steps = managed_policy(templates, PIPELINE_STACK, "RebuildStateMachinePolicy", DEV)
    for action in ("codepipeline:ListPipelineExecutions", "codepipeline:StartPipelineExecution"):
        assert may(steps, DEV, action, pipeline), action
        assert not may(steps, DEV, action, f"{pipeline}-other"), action
    for action in ("codepipeline:UpdatePipeline", "codepipeline:PutApprovalResult"):
        assert not may(steps, DEV, action, pipeline), action
    document = trust(templates, PIPELINE_STACK, "innovate-security-delivery-pipeline-rebuild", DEV)
    own = {"aws:SourceAccount": DEV, "aws:SourceArn": machine}
    states = Principal.of_service("states.amazonaws.com")
    for context, allowed in ((own, True), ({**own, "aws:SourceArn": f"{machine}-x"}, False)):
        decision = authorize(
            Request(states, "sts:AssumeRole", "role", context),
            resource_account=DEV,
            resource_policy=document,
            resource_policy_required=True,
        )
        assert decision.allowed is allowed
