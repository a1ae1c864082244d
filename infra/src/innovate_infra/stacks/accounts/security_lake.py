"""Security/logs account: Amazon Security Lake (stateful; only when enabled)."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.types import ACCOUNT_KEYS, AccountKey
from innovate_infra.constructs.security_lake.data_lake import (
    SecurityLakeDataLake,
    SecurityLakeProps,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


class SecurityLakeStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "security"
    PURPOSE = "lake"
    DESCRIPTION = "Amazon Security Lake data lake, sources and Athena subscriber"
    CLASSIFICATION = "restricted"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        platform: PlatformConfig,
        naming: Naming,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings)
        lake = platform.accounts.security_lake
        security = platform.account_id("security")
        self.lake = SecurityLakeDataLake(
            self,
            "SecurityLake",
            props=SecurityLakeProps(
                source_account_ids=[platform.account_id(key) for key in ACCOUNT_KEYS],
                lake_formation_admin_arn=naming.cdk_exec_role_arn(security, platform.home_region),
                key_alias=naming.security_lake_key_alias,
                key_admin_principal_arns=naming.key_admin_principal_arns(
                    security, platform.home_region
                ),
                retention_days=lake.retention_days,
                transition_to_glacier_after_days=lake.transition_to_glacier_after_days,
                sources=lake.sources,
                subscriber_name=naming.security_lake_subscriber_name,
                subscriber_account_id=lake.subscriber_account_id or security,
                subscriber_external_id=lake.subscriber_external_id,
            ),
        )
