"""Stateless stack (Production account): prod's deploy projects and the role the
application pipeline (Development account) assumes to run them.

A CodeBuild project can only join a VPC of its own account, and the prod cluster's API
endpoint answers only inside the prod VPC: so prod's release project (``deploy-prod``)
lives here, in the prod VPC's private subnets, beside its publish project
(``publish-prod``). Both read their inputs from the pipeline's artifact bucket, whose
bucket and key policies name their roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.delivery.build_project import RunnerNetwork
from innovate_infra.constructs.delivery.cluster_access import grant_cluster_access
from innovate_infra.constructs.delivery.deploy_projects import (
    DeployProjectsProps,
    deploy_projects,
)
from innovate_infra.constructs.delivery.deployer import (
    DeployTarget,
    PipelineActionRole,
    PipelineActionRoleProps,
)
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class DeployProject:
    project_name: str
    role_name: str


@dataclass(frozen=True)
class DeliveryTargetStackProps:
    target: DeployTarget
    deployer: DeployProject
    publisher: DeployProject
    action_role_name: str
    pipeline_role_arn: str
    pipeline_account: str
    organization_id: str
    log_group_name: str
    """The environment's deploy log group (its logging stack)."""
    artifact_bucket_arn: str
    pipeline_name: str
    project_key_alias: str
    """``alias/<name>`` of a key of this account for the projects' output artifacts
    (CodeBuild resolves an alias in the project's own account only). They write none:
    the pipeline's inputs stay encrypted with the Development account's delivery key."""
    image_repository_uri: str
    # The runner's network, published by the environment's stacks (SSM parameter names).
    runner_vpc_id_parameter: str
    runner_subnet_ids_parameter: str
    runner_security_group_parameter: str
    runner_subnet_count: int
    # The prod cluster (named: it is another stage's) and the deployer group it maps to.
    cluster_name: str
    deployer_group: str


class DeliveryTargetStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "production"
    PURPOSE = "delivery-target"
    DESCRIPTION = "prod's deploy projects and the pipeline's action role (stateless)"
    CLASSIFICATION = "internal"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        props: DeliveryTargetStackProps,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        target = props.target
        env = target.environment
        # The delivery key's id is chosen by KMS in the Development account, and IAM
        # cannot match a key by an alias of another account: the grant names that
        # account's keys, and the delivery key's own policy names these roles (artifacts
        # stack), so only it can be used.
        key_pattern = f"arn:aws:kms:{self.region}:{props.pipeline_account}:key/*"
        # "Deployer": the id of the role it replaces, so its logical ids are kept.
        self.deployer, self.publisher = deploy_projects(
            self,
            "Deployer",
            "Publisher",
            props=DeployProjectsProps(
                target=target,
                release_project_name=props.deployer.project_name,
                release_role_name=props.deployer.role_name,
                publish_project_name=props.publisher.project_name,
                publish_role_name=props.publisher.role_name,
                log_group_name=props.log_group_name,
                encryption_key_arn=props.project_key_alias,
                artifact_bucket_arn=props.artifact_bucket_arn,
                artifact_key_arn=key_pattern,
                artifact_prefix=f"{props.pipeline_name}/*",
                image_repository_uri=props.image_repository_uri,
                network=RunnerNetwork.from_parameters(
                    self,
                    vpc_id=props.runner_vpc_id_parameter,
                    subnet_ids=props.runner_subnet_ids_parameter,
                    security_group_id=props.runner_security_group_parameter,
                    subnet_count=props.runner_subnet_count,
                ),
            ),
        )
        self.action_role = PipelineActionRole(
            self,
            "PipelineAction",
            props=PipelineActionRoleProps(
                role_name=props.action_role_name,
                environment=env,
                pipeline_role_arn=props.pipeline_role_arn,
                pipeline_account=props.pipeline_account,
                organization_id=props.organization_id,
                project_arns=(self.deployer.project_arn, self.publisher.project_arn),
                artifact_objects_arn=f"{props.artifact_bucket_arn}/{props.pipeline_name}/*",
                artifact_key_arn_pattern=key_pattern,
                artifact_region=self.region,
            ),
        )
        grant_cluster_access(
            self,
            "ClusterAccess",
            cluster_name=props.cluster_name,
            role=self.deployer.role,
            group=props.deployer_group,
        )
