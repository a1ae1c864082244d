"""Suppressions of the delivery stacks (stages ``delivery`` and ``pipeline``: artifacts,
application pipeline, prod deployer, infrastructure pipeline and its replica), each with
its reason. Collected by ``suppressions/__init__.py``.

Wildcard findings are acknowledged by their exact ids, built from the same names the
stacks use, so a new wildcard fails the synth until it is reviewed here."""

from __future__ import annotations

from innovate_infra.compliance.matching import CheckovSkip, NagAcknowledgment, ResourceMatcher
from innovate_infra.compliance.suppressions.rules import AWS, HIPAA, both
from innovate_infra.naming import EDGE_REGION, Naming
from innovate_infra.stacks.delivery.artifacts import DeliveryArtifactsStack
from innovate_infra.stacks.delivery.infrastructure import InfrastructurePipelineStack
from innovate_infra.stacks.delivery.pipeline import BUILD_LOGS, DeliveryPipelineStack
from innovate_infra.stacks.delivery.replica import InfrastructurePipelineReplicaStack
from innovate_infra.stacks.delivery.target import DeliveryTargetStack

# The build projects of the application pipeline and the environments they deploy.
PROJECTS = ("test", "image", "web", "commit-status", "deploy-tools")
ENVIRONMENTS = ("dev", "staging", "prod")

BUILD_POLICIES = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(DeliveryPipelineStack, DeliveryTargetStack),
    path=(
        r"(Test|Image|Web|CommitStatus|Deploy[A-Z]\w*|Publish[A-Z]\w*|Deployer|Publisher|"
        r"PipelineAction|)/?(Pipeline)?Policy/Resource"
    ),
    description="the managed policy of each delivery CodeBuild project, of the pipeline and "
    "of its action role in Production",
)
DEPLOYER_POLICIES = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(DeliveryPipelineStack, DeliveryTargetStack),
    path=r"((Deploy|Publish)(Dev|Staging)|Deployer|Publisher)/Policy/Resource",
    description="the deploy and publish projects' policies (dev and staging in Development, "
    "prod in Production)",
)
IMAGE_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(DeliveryPipelineStack,),
    path="Image/Policy/Resource",
    description="the image build project's policy",
)
REBUILD_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::ManagedPolicy",
    stacks=(DeliveryPipelineStack,),
    path="RebuildStateMachinePolicy/Resource",
    description="the daily rebuild state machine's policy",
)
PIPELINE_PROJECTS = ResourceMatcher(
    cfn_type="AWS::CodeBuild::Project",
    stacks=(DeliveryPipelineStack, DeliveryTargetStack, InfrastructurePipelineStack),
    path=r".+",
    description="the CodeBuild projects of both pipelines",
)
DELIVERY_BUCKETS = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(
        DeliveryArtifactsStack,
        InfrastructurePipelineStack,
        InfrastructurePipelineReplicaStack,
    ),
    path=r"(AccessLogs|Artifacts)/Resource",
    description="the pipeline artifact buckets and their access-log buckets",
)
ACCESS_LOG_BUCKETS = ResourceMatcher(
    cfn_type="AWS::S3::Bucket",
    stacks=(DeliveryArtifactsStack, InfrastructurePipelineReplicaStack),
    path="AccessLogs/Resource",
    description="the delivery access-log buckets",
)
CDK_PIPELINE_POLICIES = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(InfrastructurePipelineStack,),
    path=r".+/DefaultPolicy/Resource",
    description="the inline policies CDK Pipelines writes for the infrastructure pipeline's roles",
)

# The wildcard findings of the roles CDK Pipelines generates (pipeline, source, synth,
# self-mutation, asset publishing), as cdk-nag reports them: CDK's own grants.
CDK_PIPELINE_WILDCARDS = (
    "Action::kms:GenerateDataKey*",
    "Action::kms:ReEncrypt*",
    "Action::s3:Abort*",
    "Action::s3:DeleteObject*",
    "Action::s3:GetBucket*",
    "Action::s3:GetObject*",
    "Action::s3:List*",
    "Resource::*",
    "Resource::<Artifacts82DD59A1.Arn>/*",
    "Resource::arn:aws:codebuild:{region}:{account}:report-group/*",
    "Resource::arn:aws:codebuild:{region}:{account}:report-group/<CodePipelineBuildSynthCdkBuildProjectEDF0E7B6>-*",
    "Resource::arn:aws:codebuild:{region}:{account}:report-group/<PipelineUpdatePipelineSelfMutationDAA41400>-*",
    "Resource::arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/*",
    "Resource::arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/<CodePipelineBuildSynthCdkBuildProjectEDF0E7B6>:*",
    "Resource::arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/<PipelineUpdatePipelineSelfMutationDAA41400>:*",
    "Resource::arn:*:iam::{account}:role/*",
)

_SINGLE_REGION = (
    "Pipeline artifacts are transient build inputs (expired after 90 days) that the pipeline "
    "recreates from git; releases are rolled back from the image repository, not from "
    "artifacts. Replicating them to another region would protect nothing that cannot be rebuilt."
)
_SSE_S3_ONLY = (
    "S3 server access logging delivers only to SSE-S3 (AES-256) destination buckets, so the "
    "access-log bucket of the delivery artifact buckets cannot use a customer-managed key. It is "
    "still encrypted at rest, versioned, TLS-only (1.2+), owner-enforced and blocks public access."
)
_ACCESS_LOG_TARGET = (
    "This bucket is the S3 server-access-log destination of the delivery artifact buckets: "
    "logging it to itself would loop. It holds only access records, is versioned, TLS-only, "
    "blocks public access and expires its objects after a year."
)


def _build_wildcards(naming: Naming, accounts: dict[str, str], region: str) -> tuple[str, ...]:
    development = accounts["dev"]
    group = naming.delivery_log_group_name(BUILD_LOGS)
    streams = [
        f"arn:aws:logs:{region}:{development}:log-group:{group}:log-stream:"
        f"{naming.build_project_name(p)}/*"
        for p in PROJECTS
    ] + [
        f"arn:aws:logs:{region}:{account}:log-group:{naming.deploy_log_group_name(env)}"
        f":log-stream:{naming.build_project_name(f'{verb}-{env}')}/*"
        for env, account in accounts.items()
        for verb in ("deploy", "publish")
    ]
    bucket = naming.artifact_bucket_name
    return (
        *(AWS + f"IAM5[Resource::{stream}]" for stream in streams),
        AWS + f"IAM5[Resource::arn:aws:s3:::{bucket}/*]",
        AWS + f"IAM5[Resource::arn:aws:s3:::{bucket}/{naming.application_pipeline_name}/*]",
        # Across accounts: the delivery key by its account (its own policy names the roles).
        AWS + f"IAM5[Resource::arn:aws:kms:{region}:{development}:key/*]",
    )


def _deployer_wildcards(naming: Naming, accounts: dict[str, str], region: str) -> tuple[str, ...]:
    ids: list[str] = ["Resource::*"]
    for env, account in accounts.items():
        ids += [
            f"Resource::{naming.deployment_parameter_arn_pattern(env, account, region)}",
            f"Resource::{naming.deployment_parameter_arn_pattern(env, account, EDGE_REGION)}",
            f"Resource::arn:aws:eks:{region}:{account}:cluster/*",
            f"Resource::arn:aws:ec2:{region}:{account}:network-interface/*",
            f"Resource::{naming.spa_bucket_arn_pattern(env)}",
            f"Resource::{naming.spa_bucket_arn_pattern(env)}/*",
            f"Resource::arn:aws:cloudfront::{account}:distribution/*",
        ]
    return tuple(AWS + f"IAM5[{i}]" for i in dict.fromkeys(ids))


def acknowledgments(naming: Naming) -> tuple[NagAcknowledgment, ...]:
    development, production, region = naming.delivery_accounts
    accounts = {"dev": development, "staging": development, "prod": production}
    return (
        NagAcknowledgment(
            rule_ids=_build_wildcards(naming, accounts, region),
            matcher=BUILD_POLICIES,
            reason="Each CodeBuild project writes log streams that CodeBuild names per build "
            "(<project>/<build id>) in one log group (the delivery build logs, or its "
            "environment's deploy logs), and reads (and, for the builds with outputs, writes) "
            "the objects CodePipeline names per execution in the delivery artifact bucket (the "
            "pipeline and the Production roles: only under the pipeline's <pipeline>/ prefix). "
            "The object and stream names are chosen at run time. Production's roles decrypt "
            "those artifacts through S3 with the Development account's delivery key, whose id "
            "KMS chooses there: the grant names that account's keys and the delivery key's own "
            "policy names exactly these roles (behaviour-tested in "
            "tests/stacks/delivery/test_policies.py).",
        ),
        NagAcknowledgment(
            rule_ids=_deployer_wildcards(naming, accounts, region),
            matcher=DEPLOYER_POLICIES,
            reason="A deploy reads only its environment's /<project>/<env>/deploy/* parameters; "
            "finds the EKS cluster and invalidates the CloudFront distribution only where the "
            "resource carries that environment's Environment tag (their ids are chosen by AWS "
            "and published in those parameters); uploads the SPA only to the bucket named "
            "<project>-<env>-spa-*. The release project runs in its environment's VPC: "
            "CodeBuild creates its network interface (whose id EC2 chooses: network-interface/*) "
            "only in the runner's subnets with the runner's group, attaches it only for "
            "CodeBuild (ec2:Subnet, ec2:AuthorizedService) and deletes it afterwards; the EC2 "
            "describes it needs have no resource-level permissions (Resource::*). "
            "Behaviour-tested in tests/stacks/delivery/test_policies.py.",
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "IAM5[Resource::*]",),
            matcher=REBUILD_POLICY,
            reason="Step Functions delivers execution logs through CloudWatch Logs' log-delivery "
            "APIs and traces through X-Ray, none of which take a resource (Step Functions "
            "developer guide: the logging and X-Ray policies use Resource *). The state "
            "machine's own work, listing and starting executions, is limited to the "
            "application pipeline.",
        ),
        NagAcknowledgment(
            rule_ids=(AWS + "IAM5[Resource::*]",),
            matcher=IMAGE_POLICY,
            reason="ecr:GetAuthorizationToken has no resource-level permissions (it signs the "
            "client in to the registry); every push action is limited to the API repository, "
            "whose policy also denies pushes by any other principal.",
        ),
        NagAcknowledgment(
            rule_ids=(HIPAA + "CodeBuildProjectSourceRepoUrl",),
            matcher=PIPELINE_PROJECTS,
            reason="The rule asks for OAuth on GitHub sources. The pipeline projects have no "
            "repository URL at all: CodePipeline hands them the source artifact. The "
            "commit-status project checks out through the AWS CodeConnections GitHub App "
            "connection (auth type CODECONNECTIONS): no token or credential is stored in the "
            "project or its URL, which is what the rule protects against.",
        ),
        NagAcknowledgment(
            rule_ids=both("S3BucketReplicationEnabled"),
            matcher=DELIVERY_BUCKETS,
            reason=_SINGLE_REGION,
        ),
        NagAcknowledgment(
            rule_ids=both("S3DefaultEncryptionKMS"),
            matcher=ACCESS_LOG_BUCKETS,
            reason=_SSE_S3_ONLY,
        ),
        NagAcknowledgment(
            rule_ids=(
                *(
                    AWS + "IAM5[" + w.format(account=development, region=region) + "]"
                    for w in CDK_PIPELINE_WILDCARDS
                ),
                AWS
                + "IAM5[Resource::arn:aws:s3:::"
                + naming.infrastructure_artifact_bucket_name("us-east-1")
                + "/*]",
                *both("IAMNoInlinePolicy"),
            ),
            matcher=CDK_PIPELINE_POLICIES,
            reason="CDK Pipelines (aws-cdk-lib) writes these grants for the roles it generates: "
            "read/write of the pipeline's own artifact buckets and their keys, the CodeBuild "
            "log groups and report groups of its own synth, self-mutation and asset projects, and "
            "sts:AssumeRole on the CDK bootstrap roles (cdk-*) that deploy each stage. They are "
            "inline so they live and die with the pipeline; the deploying is done by the target "
            "accounts' CDK roles, which the deployment-roles SCP opens only to the "
            "delivery-pipeline roles.",
        ),
    )


IMAGE_REPOSITORY = ResourceMatcher(
    cfn_type="AWS::ECR::Repository",
    stacks=(DeliveryArtifactsStack,),
    path="ApiImage/Repository/Resource",
    description="the API image repository",
)
CDK_ASSET_POLICY = ResourceMatcher(
    cfn_type="AWS::IAM::Policy",
    stacks=(InfrastructurePipelineStack,),
    path=r".+/Assets/FileRole/DefaultPolicy/Resource",
    description="CDK Pipelines' asset-publishing role policy",
)

CHECKOV_SKIPS: tuple[CheckovSkip, ...] = (
    CheckovSkip("CKV_AWS_18", ACCESS_LOG_BUCKETS, _ACCESS_LOG_TARGET),
    CheckovSkip(
        "CKV_AWS_32",
        IMAGE_REPOSITORY,
        "The only statement with Principal '*' is a Deny (pushes by anyone but the image build "
        "role and break-glass); the only Allow admits pulls by the Production account's EKS node "
        "roles by ARN pattern. Nothing is public: behaviour-tested in "
        "tests/stacks/delivery/test_policies.py (other accounts and roles are refused).",
    ),
    CheckovSkip(
        "CKV_AWS_111",
        CDK_ASSET_POLICY,
        "CDK Pipelines' asset-publishing role: its writes are to the pipeline's own artifact "
        "bucket and CodeBuild logs, and sts:AssumeRole on the CDK file-publishing roles "
        "(cdk-*-file-publishing-role-*) of the target accounts, which the deployment-roles SCP "
        "opens only to this role's delivery-pipeline name. The grants are CDK's, unchanged.",
    ),
)


def checkov_skips(naming: Naming) -> tuple[CheckovSkip, ...]:
    return CHECKOV_SKIPS
