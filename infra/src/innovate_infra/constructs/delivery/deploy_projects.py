"""One environment's two deploy projects, the same wherever they live (the pipeline's
account for dev and staging, the Production account for prod):

* the release (``deploy-<env>``, ``deploy/buildspecs/deploy.yml``): helm and kubectl
  from inside the environment's VPC, the only place its private cluster endpoint answers;
* the publish step (``publish-<env>``, ``deploy/buildspecs/publish.yml``): the SPA, the
  CloudFront invalidation and the smoke test, outside any VPC.

Both read the pipeline's inputs and write no outputs (CodePipeline accepts none from a
build in another account)."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from innovate_infra.constructs.delivery.build_project import (
    BuildProject,
    BuildProjectProps,
    RunnerNetwork,
)
from innovate_infra.constructs.delivery.deployer import (
    DeployTarget,
    publish_statements,
    release_statements,
)

BUILDSPECS = "deploy/buildspecs"


@dataclass(frozen=True)
class DeployProjectsProps:
    target: DeployTarget
    release_project_name: str
    release_role_name: str
    publish_project_name: str
    publish_role_name: str
    log_group_name: str
    """The environment's deploy log group (its logging stack)."""
    encryption_key_arn: str
    artifact_bucket_arn: str
    image_repository_uri: str
    network: RunnerNetwork
    artifact_key_arn: str | None = None
    artifact_prefix: str = "*"


def deploy_projects(
    scope: Construct, release_id: str, publish_id: str, *, props: DeployProjectsProps
) -> tuple[BuildProject, BuildProject]:
    """The release and publish projects, under the given construct ids (stable ids)."""
    target = props.target
    env = target.environment

    def project(
        construct_id: str, name: str, role: str, description: str, buildspec: str, **extra: object
    ) -> BuildProject:
        return BuildProject(
            scope,
            construct_id,
            props=BuildProjectProps(
                project_name=name,
                description=description,
                role_name=role,
                buildspec=f"{BUILDSPECS}/{buildspec}",
                log_group_name=props.log_group_name,
                encryption_key_arn=props.encryption_key_arn,
                artifact_bucket_arn=props.artifact_bucket_arn,
                artifact_key_arn=props.artifact_key_arn,
                artifact_prefix=props.artifact_prefix,
                writes_artifacts=False,
                timeout_minutes=60,
                **extra,  # type: ignore[arg-type]
            ),
        )

    release = project(
        release_id,
        props.release_project_name,
        props.release_role_name,
        f"release the API to {env} (blue/green), from inside its VPC",
        "deploy.yml",
        statements=release_statements(target),
        environment_variables={
            "ENV": env,
            "DEPLOY_REGION": target.region,
            "IMAGE_REPOSITORY_URI": props.image_repository_uri,
        },
        network=props.network,
    )
    publish = project(
        publish_id,
        props.publish_project_name,
        props.publish_role_name,
        f"publish the SPA to {env}, invalidate CloudFront, smoke-test",
        "publish.yml",
        statements=publish_statements(target),
        environment_variables={"ENV": env, "DEPLOY_REGION": target.region},
    )
    return release, publish
