"""Cost guardrails of the payer (management) account: a monthly AWS Budget per account
with e-mail alerts, and the activation of the tag standard's keys as cost-allocation tags.

Budgets live in the management account: as the payer it sees every member's spend and
filters a budget on the linked account. CloudFormation has no resource that activates a
cost-allocation tag (``AWS::CE`` offers anomaly monitors and cost categories only), so
the activation is one Cost Explorer call, ``UpdateCostAllocationTagsStatus``, which only
the payer account may make and which is idempotent (activating an active tag is a no-op).
A key that has not yet appeared in billing data (up to 24 hours after first use) is
returned in the response's ``Errors`` rather than failing: ``make preflight`` reports
keys that are still inactive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from constructs import Construct

from innovate_infra.constructs.organization.api_call import OrganizationApiCall

# Cost Explorer has one endpoint, in us-east-1.
COST_EXPLORER_REGION = "us-east-1"


@dataclass(frozen=True)
class AccountBudget:
    key: str
    """Account key (``management``, ``security``, ...): the construct id and the name suffix."""
    account_id: str
    monthly_usd: int


@dataclass(frozen=True)
class CostGuardrailsProps:
    name_prefix: str
    budgets: Sequence[AccountBudget]
    alert_email: str
    actual_thresholds_percent: Sequence[int]
    forecast_threshold_percent: int
    cost_allocation_tag_keys: Sequence[str]
    tags: Mapping[str, str]
    """Budgets take tags as a property (the stack's tag aspect does not reach them)."""


class CostGuardrails(Construct):
    ACTIVATION_ID = "CostAllocationTags"

    def __init__(self, scope: Construct, construct_id: str, *, props: CostGuardrailsProps) -> None:
        super().__init__(scope, construct_id)
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(
                subscription_type="EMAIL", address=props.alert_email
            )
        ]
        notifications = [("ACTUAL", threshold) for threshold in props.actual_thresholds_percent] + [
            ("FORECASTED", props.forecast_threshold_percent)
        ]
        self.budgets: dict[str, budgets.CfnBudget] = {}
        for budget in props.budgets:
            self.budgets[budget.key] = budgets.CfnBudget(
                self,
                "Budget" + budget.key.capitalize(),
                budget=budgets.CfnBudget.BudgetDataProperty(
                    budget_name=f"{props.name_prefix}-{budget.key}-monthly",
                    budget_type="COST",
                    time_unit="MONTHLY",
                    budget_limit=budgets.CfnBudget.SpendProperty(
                        amount=budget.monthly_usd, unit="USD"
                    ),
                    cost_filters={"LinkedAccount": [budget.account_id]},
                ),
                notifications_with_subscribers=[
                    budgets.CfnBudget.NotificationWithSubscribersProperty(
                        notification=budgets.CfnBudget.NotificationProperty(
                            notification_type=kind,
                            comparison_operator="GREATER_THAN",
                            threshold=threshold,
                            threshold_type="PERCENTAGE",
                        ),
                        subscribers=subscribers,
                    )
                    for kind, threshold in notifications
                ],
                resource_tags=[
                    budgets.CfnBudget.ResourceTagProperty(key=k, value=v)
                    for k, v in sorted(props.tags.items())
                ],
            )
        keys = list(props.cost_allocation_tag_keys)
        self.activation = OrganizationApiCall(
            self,
            self.ACTIVATION_ID,
            service="CostExplorer",
            action="updateCostAllocationTagsStatus",
            parameters={
                "CostAllocationTagsStatus": [{"TagKey": key, "Status": "Active"} for key in keys]
            },
            # A new key set is a new call.
            physical_id="cost-allocation-tags-" + "-".join(keys),
            statements=[
                iam.PolicyStatement(actions=["ce:UpdateCostAllocationTagsStatus"], resources=["*"])
            ],
            region=COST_EXPLORER_REGION,
        )
