"""The API image's ECR repository: immutable tags, scan on push, KMS, lifecycle, and a
repository policy that lets only the named node roles of other accounts pull and only
the image build role push."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
PUSH_ACTIONS = (
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# Tags the build writes: the 40-character git SHA, and <sha>-rebuild-<yyyymmddHHMM> for the
# daily rebuild from the same commit (docs/delivery.md).
SHA_TAG_PREFIXES = tuple("0123456789abcdef")


@dataclass(frozen=True)
class ImageRepositoryProps:
    repository_name: str
    encryption_key: kms.IKey
    keep_tagged_images: int
    untagged_expiry_days: int
    # Other accounts' node roles (ArnLike patterns, by account) that may pull.
    pullers: Sequence[tuple[str, Sequence[str]]]
    # The only principals that may push (ArnLike patterns): the image build role and break-glass.
    pusher_arns: Sequence[str]
    removal_policy: RemovalPolicy


class ImageRepository(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: ImageRepositoryProps) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=props.repository_name,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=props.encryption_key,
            removal_policy=props.removal_policy,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    rule_priority=1,
                    description="untagged layers of interrupted or superseded pushes",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=Duration.days(props.untagged_expiry_days),
                ),
                ecr.LifecycleRule(
                    rule_priority=2,
                    description=f"keep the newest {props.keep_tagged_images} SHA-tagged images",
                    tag_status=ecr.TagStatus.TAGGED,
                    tag_prefix_list=list(SHA_TAG_PREFIXES),
                    max_image_count=props.keep_tagged_images,
                ),
            ],
        )
        for account, patterns in props.pullers:
            self.repository.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"PullByNodesOf{account}",
                    principals=[iam.AccountPrincipal(account)],
                    actions=list(PULL_ACTIONS),
                    conditions={"ArnLike": {"aws:PrincipalArn": list(patterns)}},
                )
            )
        self.repository.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PushOnlyByTheImageBuild",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(PUSH_ACTIONS),
                conditions={"ArnNotLike": {"aws:PrincipalArn": list(props.pusher_arns)}},
            )
        )
