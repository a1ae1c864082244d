"""``make cost``: every resource type the templates create is priced or known to be free,
and the known counts are priced right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from innovate_infra.cost import catalogue
from innovate_infra.cost.__main__ import main
from innovate_infra.cost.prices import CostError, Usage, load_prices, load_usage
from innovate_infra.cost.report import ScopeEstimate, StackTemplate, estimate, read_assembly

from tests.conftest import Synth

PRICES = load_prices()
HOURS = PRICES.hours_per_month


@pytest.fixture(scope="module")
def estimates(synth: Synth) -> dict[str, ScopeEstimate]:
    stacks = read_assembly(synth.outdir, synth.platform)
    return {e.scope: e for e in estimate(stacks, PRICES, load_usage())}


def _fixed(scope: ScopeEstimate, resource_type: str) -> list[Any]:
    return [line for line in scope.lines if line.resource_type == resource_type and not line.usage]


def test_billable_and_free_are_disjoint_explicit_sets() -> None:
    assert not set(catalogue.BILLABLE) & set(catalogue.FREE)
    assert all(reason for reason in catalogue.FREE.values())


def test_every_resource_type_in_the_templates_is_priced_or_known_free(
    templates: dict[str, dict[str, Any]],
) -> None:
    unknown = {
        (name, r["Type"])
        for name, template in templates.items()
        for r in template["Resources"].values()
        if r["Type"] not in catalogue.BILLABLE and r["Type"] not in catalogue.FREE
    }
    assert not unknown, f"unpriced resource types (add to cost/catalogue.py): {sorted(unknown)}"


def test_every_price_a_rule_names_is_in_the_table() -> None:
    named = {price for rule in catalogue.BILLABLE.values() for _, price in rule.usage}
    assert named <= set(PRICES.prices), named - set(PRICES.prices)


def _template(*resources: dict[str, Any]) -> StackTemplate:
    return StackTemplate(
        scope="dev",
        account="development",
        name="innovate-dev-test",
        template={"Resources": {f"R{i}": r for i, r in enumerate(resources)}},
    )


USAGE = Usage(scopes={"dev": {"nat_gb": 10.0, "rds_backup_gb": 0.0}})


def test_an_unknown_resource_type_fails_the_report() -> None:
    stack = _template({"Type": "AWS::Timestream::Database", "Properties": {}})
    with pytest.raises(CostError, match=r"innovate-dev-test/R0: .*AWS::Timestream::Database"):
        estimate([stack], PRICES, USAGE)


def test_a_missing_usage_assumption_names_scope_and_key() -> None:
    stack = _template({"Type": "AWS::SQS::Queue", "Properties": {}})
    with pytest.raises(CostError, match=r"scopes\.dev\.sqs_million_requests: missing"):
        estimate([stack], PRICES, USAGE, "usage.yaml")


def test_an_instance_class_without_a_price_is_an_error() -> None:
    stack = _template(
        {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {"DBInstanceClass": "db.x2iedn.32xlarge", "AllocatedStorage": "20"},
        }
    )
    with pytest.raises(CostError, match=r"no price for 'db.x2iedn.32xlarge'"):
        estimate([stack], PRICES, USAGE)


def test_dev_has_one_firewall_endpoint_and_prod_three(
    estimates: dict[str, ScopeEstimate],
) -> None:
    price = PRICES.price("firewall_endpoint_hour").usd
    for scope, endpoints in (("dev", 1), ("staging", 1), ("prod", 3)):
        [line] = _fixed(estimates[scope], "AWS::NetworkFirewall::Firewall")
        assert line.count == endpoints * HOURS, scope
        assert line.monthly_usd == pytest.approx(endpoints * HOURS * price)


def test_nat_gateways_and_interface_endpoints_are_priced_per_az(
    estimates: dict[str, ScopeEstimate], templates: dict[str, dict[str, Any]]
) -> None:
    [nat_dev] = _fixed(estimates["dev"], "AWS::EC2::NatGateway")
    [nat_prod] = _fixed(estimates["prod"], "AWS::EC2::NatGateway")
    assert (nat_dev.count, nat_prod.count) == (HOURS, 3 * HOURS)
    network = templates["innovate-prod-network"]["Resources"].values()
    slots = sum(
        len(r["Properties"]["SubnetIds"])
        for r in network
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and r["Properties"].get("VpcEndpointType") == "Interface"
    )
    assert slots
    assert slots % 3 == 0
    [endpoints] = _fixed(estimates["prod"], "AWS::EC2::VPCEndpoint")
    assert endpoints.count == slots * HOURS
    assert endpoints.monthly_usd == pytest.approx(
        slots * HOURS * PRICES.price("interface_endpoint_az_hour").usd
    )


def test_every_kms_key_costs_a_key_month(
    estimates: dict[str, ScopeEstimate], templates: dict[str, dict[str, Any]]
) -> None:
    keys = sum(
        1
        for name, t in templates.items()
        if name.startswith("innovate-prod-")
        for r in t["Resources"].values()
        if r["Type"] == "AWS::KMS::Key"
    )
    [line] = _fixed(estimates["prod"], "AWS::KMS::Key")
    assert line.count == keys
    assert line.monthly_usd == keys * PRICES.price("kms_key_month").usd


def test_usage_lines_carry_unit_price_and_assumed_volume(
    estimates: dict[str, ScopeEstimate],
) -> None:
    assumed = load_usage().scopes["prod"]["nat_gb"]
    [line] = [li for li in estimates["prod"].lines if li.usage and li.label == "nat_gb"]
    assert line.count == assumed
    assert line.monthly_usd == pytest.approx(assumed * PRICES.price("nat_gateway_gb").usd)


def test_resources_of_the_later_stacks_are_priced() -> None:
    """The cluster, its nodes at their minimum, the database, load balancer and edge."""
    stack = _template(
        {"Type": "AWS::EKS::Cluster", "Properties": {}},
        {
            "Type": "AWS::EKS::Nodegroup",
            "Properties": {"ScalingConfig": {"MinSize": 3}, "InstanceTypes": ["m6i.xlarge"]},
        },
        {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "DBInstanceClass": "db.r6g.large",
                "MultiAZ": True,
                "AllocatedStorage": "200",
                "StorageType": "gp3",
            },
        },
        {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Type": "application"},
        },
        {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}, {}]}},
        {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
    )
    usage = Usage(
        scopes={
            "dev": {
                "rds_backup_gb": 0,
                "alb_lcu": 1,
                "waf_million_requests": 0,
                "secrets_10k_calls": 0,
            }
        }
    )
    [scope] = estimate([stack], PRICES, usage)
    fixed = {line.label: line for line in scope.lines if not line.usage}
    price = PRICES.price
    assert fixed["EKS cluster"].monthly_usd == pytest.approx(HOURS * price("eks_cluster_hour").usd)
    nodes = fixed["EKS nodes (minimum) of m6i.xlarge"]
    assert nodes.count == 3 * HOURS
    db = fixed["database db.r6g.large Multi-AZ"]
    assert db.monthly_usd == pytest.approx(
        2 * HOURS * PRICES.instance("rds_instance_hour", "db.r6g.large").usd
    )
    assert fixed["database storage gp3"].count == 400  # Multi-AZ: two copies
    assert fixed["application load balancer"].count == HOURS
    assert fixed["WAF rules"].count == 3
    assert fixed["secret"].monthly_usd == price("secret_month").usd


def test_make_cost_prints_every_account_and_environment(
    synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--assembly", str(synth.outdir)]) == 0
    out = capsys.readouterr().out
    for scope in ("management", "security", "dev", "staging", "prod"):
        assert f"== {scope} (" in out
    assert "estate" in out


def test_make_cost_without_an_assembly_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--assembly", str(tmp_path)]) == 2
    assert "run `make synth` first" in capsys.readouterr().err
