"""The account stacks are part of the estate that ``make synth`` builds."""

from __future__ import annotations

import aws_cdk as cdk
from innovate_infra.accounts.config import AccountsConfig
from innovate_infra.accounts.naming import log_bucket_name
from innovate_infra.config import load_estate
from innovate_infra.estate import INFRA_DIR, build_estate, create_app

ACCOUNT_STACKS = {
    "Innovate-Management-Organization",
    "Innovate-Management-Identity",
    "Innovate-Management-AuditData",
    "Innovate-Management-SecurityServices",
    "Innovate-Security-LogArchive",
    "Innovate-Security-Detection",
    "Innovate-Security-Organization",
}


def test_build_estate_adds_the_account_stacks_next_to_the_environment_stages(
    config: AccountsConfig,
) -> None:
    app = create_app()
    stages = build_estate(app, load_estate(INFRA_DIR / "config"))
    assert [stage.stage_name for stage in stages] == ["dev", "staging", "prod"]
    top_level = {c.node.id: c for c in app.node.children if isinstance(c, cdk.Stack)}
    assert set(top_level) == ACCOUNT_STACKS
    management = config.organization.management_account_id
    for name, stack in top_level.items():
        expected = management if "-Management-" in name else config.security_account_id
        assert stack.account == expected, name
    # The compliance aspects of the app itself cover the top-level account stacks.
    kinds = {type(a).__name__ for a in cdk.Aspects.of(app).all}
    assert {"ApplyNagAcknowledgments", "ApplyCheckovSkips"} <= kinds


def test_environments_deliver_network_logs_to_the_archive_bucket(config: AccountsConfig) -> None:
    """organization.yaml names the bucket the environments' flow and firewall logs go to;
    it is the network-log bucket this package creates (and whose policy admits them)."""
    organization = load_estate(INFRA_DIR / "config").organization
    assert organization.log_archive.bucket_name == log_bucket_name(config, "flowlogs")
