"""The monthly estimate of what the synthesized templates create, per account and
environment: fixed (hourly and monthly) resources from the price table, usage-priced
ones from their unit prices and the assumed volumes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from innovate_infra.config import PlatformConfig
from innovate_infra.config.types import ACCOUNT_KEYS, AccountKey
from innovate_infra.cost.catalogue import classify
from innovate_infra.cost.prices import USAGE_FILE, CostError, PriceTable, Usage

ACCOUNTS_STAGE = "accounts"


@dataclass(frozen=True)
class StackTemplate:
    scope: str
    """An environment name, or the account key of an account-level stack."""
    account: AccountKey
    name: str
    template: Mapping[str, Any]


@dataclass(frozen=True)
class Line:
    resource_type: str
    label: str
    count: float
    """Resources, endpoint-AZs, GB...: the multiplier of the unit price."""
    unit: str
    unit_usd: float
    monthly_usd: float
    usage: bool


@dataclass(frozen=True)
class ScopeEstimate:
    scope: str
    account: AccountKey
    lines: tuple[Line, ...]

    @property
    def fixed_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines if not line.usage)

    @property
    def usage_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines if line.usage)

    @property
    def total_usd(self) -> float:
        return self.fixed_usd + self.usage_usd


def read_assembly(assembly: Path, platform: PlatformConfig) -> list[StackTemplate]:
    """Every stack of a synthesized cloud assembly (``cdk.out``), with its scope."""
    if not (assembly / "manifest.json").is_file():
        raise CostError(f"{assembly}: no cloud assembly here; run `make synth` first")
    by_id = {platform.account_id(key): key for key in ACCOUNT_KEYS}
    stacks: list[StackTemplate] = []
    for manifest_path in sorted(assembly.glob("assembly-*/manifest.json")):
        stage_dir = manifest_path.parent
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for artifact in manifest.get("artifacts", {}).values():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            account_id = artifact["environment"].split("/")[2]
            if account_id not in by_id:
                raise CostError(
                    f"{stage_dir.name}: stack {artifact['displayName']} targets account "
                    f"{account_id}, which organization.yaml does not name"
                )
            stage = artifact["displayName"].split("/")[0]
            props = artifact["properties"]
            template = json.loads((stage_dir / props["templateFile"]).read_text("utf-8"))
            account = by_id[account_id]
            stacks.append(
                StackTemplate(
                    scope=account if stage == ACCOUNTS_STAGE else stage,
                    account=account,
                    name=props.get("stackName", artifact["displayName"]),
                    template=template,
                )
            )
    if not stacks:
        raise CostError(f"{assembly}: the assembly holds no stacks")
    # Account-level scopes first, then the environments in config order.
    order = [*ACCOUNT_KEYS, *platform.environments]
    return sorted(stacks, key=lambda s: order.index(s.scope) if s.scope in order else len(order))


def estimate(
    stacks: Sequence[StackTemplate], prices: PriceTable, usage: Usage, usage_file: str | None = None
) -> list[ScopeEstimate]:
    """Per scope (in first-seen order), the priced lines of its stacks."""
    file = usage_file or str(USAGE_FILE.name)
    order: list[str] = []
    accounts: dict[str, AccountKey] = {}
    fixed: dict[str, dict[tuple[str, str, float, str], float]] = {}
    usage_keys: dict[str, dict[tuple[str, str], str]] = {}
    for stack in stacks:
        if stack.scope not in fixed:
            order.append(stack.scope)
            accounts[stack.scope] = stack.account
            fixed[stack.scope] = {}
            usage_keys[stack.scope] = {}
        for logical, resource in stack.template.get("Resources", {}).items():
            kind = resource["Type"]
            try:
                rule = classify(kind)
                if rule is None:
                    continue
                for item in rule.fixed(resource, stack.template, prices):
                    quantity = item.count * (prices.hours_per_month if item.hourly else 1)
                    key = (kind, item.label, item.price, item.unit)
                    fixed[stack.scope][key] = fixed[stack.scope].get(key, 0) + quantity
                for usage_key, price_key in rule.usage:
                    usage_keys[stack.scope][(usage_key, price_key)] = kind
            except CostError as exc:
                raise CostError(f"{stack.name}/{logical}: {exc}") from None
    estimates = []
    for scope in order:
        lines = [
            Line(kind, label, quantity, unit, price, quantity * price, usage=False)
            for (kind, label, price, unit), quantity in fixed[scope].items()
        ]
        for (usage_key, price_key), kind in usage_keys[scope].items():
            price = prices.price(price_key)
            volume = usage.volume(scope, usage_key, file)
            lines.append(
                Line(kind, usage_key, volume, price.unit, price.usd, volume * price.usd, True)
            )
        estimates.append(ScopeEstimate(scope, accounts[scope], tuple(lines)))
    return estimates


def _money(usd: float) -> str:
    return f"${usd:,.2f}"


def _quantity(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def account_totals(estimates: Iterable[ScopeEstimate]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for estimate_ in estimates:
        totals[estimate_.account] = totals.get(estimate_.account, 0) + estimate_.total_usd
    return totals


def render_text(estimates: Sequence[ScopeEstimate], prices: PriceTable) -> str:
    out = [
        f"Monthly estimate of the synthesized templates: on-demand list prices, "
        f"{prices.region}, {prices.currency}, price table of {prices.as_of}, "
        f"{prices.hours_per_month} h a month. Usage volumes are assumptions "
        "(infra/config/cost/usage.yaml); unconfirmed prices are marked in prices.yaml.",
    ]
    for scope in estimates:
        out.append("")
        out.append(f"== {scope.scope} ({scope.account} account) ==")
        for line in sorted(scope.lines, key=lambda li: (li.usage, -li.monthly_usd)):
            kind = "usage" if line.usage else "fixed"
            out.append(
                f"  {kind}  {line.resource_type:<44} {line.label:<34} "
                f"{_quantity(line.count):>9} x {line.unit_usd:<8g} {line.unit[:40]:<40} "
                f"{_money(line.monthly_usd):>11}"
            )
        out.append(
            f"  total {_money(scope.total_usd)} (fixed {_money(scope.fixed_usd)}, "
            f"usage {_money(scope.usage_usd)})"
        )
    out.append("")
    out.append("== per account ==")
    totals = account_totals(estimates)
    for account, usd in totals.items():
        scopes = ", ".join(s.scope for s in estimates if s.account == account)
        out.append(f"  {account:<12} {_money(usd):>11}   ({scopes})")
    out.append(f"  {'estate':<12} {_money(sum(totals.values())):>11}")
    return "\n".join(out)


def render_markdown(estimates: Sequence[ScopeEstimate], prices: PriceTable) -> str:
    out = [
        f"Prices: on-demand, {prices.region}, {prices.currency}, table of {prices.as_of}, "
        f"{prices.hours_per_month} h a month.",
        "",
        "| scope | account | fixed | usage (assumed) | total |",
        "|---|---|---:|---:|---:|",
    ]
    for s in estimates:
        out.append(
            f"| {s.scope} | {s.account} | {_money(s.fixed_usd)} | {_money(s.usage_usd)} | "
            f"{_money(s.total_usd)} |"
        )
    totals = account_totals(estimates)
    out.append(f"| **estate** | | | | **{_money(sum(totals.values()))}** |")
    for s in estimates:
        out += [
            "",
            f"**{s.scope}** ({s.account} account)",
            "",
            "| item | quantity | unit price | monthly |",
            "|---|---:|---:|---:|",
        ]
        for line in sorted(s.lines, key=lambda li: (li.usage, -li.monthly_usd)):
            what = f"{line.resource_type}: {line.label}" + (" (usage)" if line.usage else "")
            out.append(
                f"| {what} | {_quantity(line.count)} {line.unit} | ${line.unit_usd:g} | "
                f"{_money(line.monthly_usd)} |"
            )
    return "\n".join(out)
