"""innovate-management-cost: a monthly budget per account with e-mail alerts, and the
tag standard's keys activated as cost-allocation tags (payer account, Cost Explorer)."""

from __future__ import annotations

import json
from typing import Any

from innovate_infra.config import PlatformConfig
from innovate_infra.config.organization import REQUIRED_TAG_KEYS
from innovate_infra.config.types import ACCOUNT_KEYS

from tests.conftest import Synth
from tests.stacks.accounts.support import resources


def _template(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates["innovate-management-cost"]


def test_the_stack_is_in_the_management_account_after_the_organization(synth: Synth) -> None:
    stack = synth.accounts.cost
    assert stack.account == synth.platform.account_id("management")
    assert synth.accounts.organization in stack.dependencies
    assert stack.termination_protection


def test_every_account_has_a_budget_alerting_the_configured_email(
    templates: dict[str, dict[str, Any]], platform: PlatformConfig
) -> None:
    config = platform.accounts.budgets
    budgets = resources(_template(templates), "AWS::Budgets::Budget").values()
    by_account = {
        b["Properties"]["Budget"]["CostFilters"]["LinkedAccount"][0]: b["Properties"]
        for b in budgets
    }
    assert set(by_account) == {platform.account_id(k) for k in ACCOUNT_KEYS}
    for key in ACCOUNT_KEYS:
        props = by_account[platform.account_id(key)]
        budget = props["Budget"]
        assert budget["BudgetLimit"] == {"Amount": config.monthly_usd[key], "Unit": "USD"}
        assert (budget["BudgetType"], budget["TimeUnit"]) == ("COST", "MONTHLY")
        alerts = {
            (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
            for n in props["NotificationsWithSubscribers"]
        }
        assert alerts == {("ACTUAL", t) for t in config.actual_thresholds_percent} | {
            ("FORECASTED", config.forecast_threshold_percent)
        }
        for n in props["NotificationsWithSubscribers"]:
            assert n["Subscribers"] == [
                {"SubscriptionType": "EMAIL", "Address": config.alert_email}
            ]
        assert {t["Key"] for t in props["ResourceTags"]} >= set(REQUIRED_TAG_KEYS)


def test_the_tag_standard_keys_are_activated_as_cost_allocation_tags(
    templates: dict[str, dict[str, Any]],
) -> None:
    template = _template(templates)
    [call] = resources(template, "Custom::AWS").values()
    create = call["Properties"]["Create"]
    sdk = json.loads(create if isinstance(create, str) else json.dumps(create))
    assert sdk["service"] == "CostExplorer"
    assert sdk["action"] == "updateCostAllocationTagsStatus"
    assert sdk["region"] == "us-east-1"  # Cost Explorer's one endpoint
    assert sdk["parameters"]["CostAllocationTagsStatus"] == [
        {"TagKey": key, "Status": "Active"} for key in REQUIRED_TAG_KEYS
    ]
    [policy] = resources(template, "AWS::IAM::Policy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in statements] == ["ce:UpdateCostAllocationTagsStatus"]
