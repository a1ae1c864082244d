"""Management account (the payer): budgets per account and cost-allocation tags."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct

from innovate_infra.config import PlatformConfig
from innovate_infra.config.organization import REQUIRED_TAG_KEYS
from innovate_infra.config.types import ACCOUNT_KEYS, AccountKey
from innovate_infra.constructs.cost.budgets import (
    AccountBudget,
    CostGuardrails,
    CostGuardrailsProps,
)
from innovate_infra.naming import Naming
from innovate_infra.stacks.base import PlatformStack, StackSettings


class CostStack(PlatformStack):
    ACCOUNT: ClassVar[AccountKey] = "management"
    PURPOSE = "cost"
    DESCRIPTION = "AWS Budgets per account with e-mail alerts; cost-allocation tag activation"
    CLASSIFICATION = "internal"
    GUARDRAILS_ID = "Cost"

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
        config = platform.accounts.budgets
        self.guardrails = CostGuardrails(
            self,
            self.GUARDRAILS_ID,
            props=CostGuardrailsProps(
                name_prefix=naming.project,
                budgets=[
                    AccountBudget(
                        key=key,
                        account_id=platform.account_id(key),
                        monthly_usd=config.monthly_usd[key],
                    )
                    for key in ACCOUNT_KEYS
                ],
                alert_email=config.alert_email,
                actual_thresholds_percent=config.actual_thresholds_percent,
                forecast_threshold_percent=config.forecast_threshold_percent,
                # The tag standard's keys: every taggable resource carries them.
                cost_allocation_tag_keys=REQUIRED_TAG_KEYS,
                tags=settings.tags,
            ),
        )
