"""Stateless stack (Production account): the deployer role the prod deploy and rollback
projects of the Development account assume."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from constructs import Construct

from innovate_infra.config.types import AccountKey
from innovate_infra.constructs.delivery.cluster_access import grant_cluster_access
from innovate_infra.constructs.delivery.deployer import (
    CrossAccountDeployer,
    CrossAccountDeployerProps,
    DeployTarget,
)
from innovate_infra.stacks.base import PlatformStack, StackSettings


@dataclass(frozen=True)
class DeliveryTargetStackProps:
    role_name: str
    target: DeployTarget
    trusted_role_arns: Sequence[str]
    trusted_account: str
    organization_id: str
    # The prod cluster (named: it is another stage's) and the deployer group it maps to.
    cluster_name: str
    deployer_group: str


class DeliveryTargetStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "production"
    PURPOSE = "delivery-target"
    DESCRIPTION = "deployer role assumed by the delivery pipeline's prod deploy (stateless)"
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
        self.deployer = CrossAccountDeployer(
            self,
            "Deployer",
            props=CrossAccountDeployerProps(
                role_name=props.role_name,
                target=props.target,
                trusted_role_arns=props.trusted_role_arns,
                trusted_account=props.trusted_account,
                organization_id=props.organization_id,
            ),
        )
        grant_cluster_access(
            self,
            "ClusterAccess",
            cluster_name=props.cluster_name,
            role=self.deployer.role,
            group=props.deployer_group,
        )
