"""``lifecycle: import`` imports and never creates (docs/deploy.md, "Existing accounts").

An existing account has no resource until it is imported, so no deploy can try to create
it; the adopt synth that ``make import-accounts`` hands to ``cdk import`` adds exactly the
account, as it is (at the root, untagged, no RoleName), and nothing else; once
``imported: true`` the deploy moves it to its OU and the access-role StackSet follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from innovate_infra.app import create_app
from innovate_infra.config import ConfigError, PlatformConfig
from innovate_infra.config.accounts import MemberAccount
from innovate_infra.naming import Naming
from innovate_infra.ops.import_mapping import ImportError_, resource_mapping
from innovate_infra.stacks.accounts.organization import IMPORT_CONTEXT, OrganizationStack
from innovate_infra.stacks.base import StackSettings
from pydantic import ValidationError

from tests.stacks.accounts.test_imported_accounts import with_imported_production

ACCOUNT = "AWS::Organizations::Account"


def organization_template(platform: PlatformConfig, **context: str) -> dict[str, Any]:
    app = create_app(context=context)
    stage = cdk.Stage(app, "accounts")
    stack = OrganizationStack(
        stage,
        "ManagementOrganization",
        settings=StackSettings(
            name="innovate-management-organization",
            account=platform.account_id("management"),
            region=platform.home_region,
            description="test",
            termination_protection=True,
            tags={},
        ),
        platform=platform,
        naming=Naming(platform),
    )
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def _accounts(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == ACCOUNT}


@pytest.fixture(scope="module")
def pending(platform: PlatformConfig) -> PlatformConfig:
    return with_imported_production(platform, imported=False)


def test_an_account_to_import_has_no_resource_so_nothing_can_create_it(
    pending: PlatformConfig,
) -> None:
    template = organization_template(pending)
    names = {r["Properties"]["AccountName"] for r in _accounts(template).values()}
    assert pending.accounts.accounts["production"].name not in names
    assert names == {pending.accounts.accounts[k].name for k in ("security", "development")}
    assert not [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"
    ]


def test_the_adopt_synth_adds_only_the_account_as_it_is(pending: PlatformConfig) -> None:
    before = organization_template(pending)
    adopt = organization_template(pending, **{IMPORT_CONTEXT: "adopt"})
    added = set(adopt["Resources"]) - set(before["Resources"])
    assert set(before["Resources"]) <= set(adopt["Resources"])
    # cdk import: the only change allowed is adding the resources being imported.
    for logical in before["Resources"]:
        assert adopt["Resources"][logical] == before["Resources"][logical], logical
    [logical] = added
    account = adopt["Resources"][logical]
    assert account["Type"] == ACCOUNT
    props = account["Properties"]
    assert props["ParentIds"] == [
        pending.accounts.organization.root_id
    ]  # where invited accounts land
    assert "RoleName" not in props
    assert "Tags" not in props
    assert props["Email"] == pending.organization.accounts.production.email
    assert account["DeletionPolicy"] == "Retain"
    mapping = resource_mapping(pending, adopt)
    assert mapping == {logical: {"AccountId": pending.account_id("production")}}


def test_once_imported_the_deploy_places_and_tags_it_and_keeps_name_and_email(
    pending: PlatformConfig, platform: PlatformConfig
) -> None:
    adopt = organization_template(pending, **{IMPORT_CONTEXT: "adopt"})
    done = organization_template(with_imported_production(platform, imported=True))
    [(logical, adopted)] = [(k, r) for k, r in _accounts(adopt).items() if "Production" in k]
    placed = done["Resources"][logical]["Properties"]
    # Changing Email would replace the account: it stays; only placement and tags change.
    for unchanged in ("AccountName", "Email"):
        assert placed[unchanged] == adopted["Properties"][unchanged]
    assert "RoleName" not in placed
    [ou] = placed["ParentIds"]
    assert ou["Fn::GetAtt"][0].startswith("StructureOuWorkloadsProd")
    assert placed["Tags"] == [{"Key": "AccountKey", "Value": "production"}]
    [stack_set] = [
        r for r in done["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"
    ]
    assert logical in stack_set["DependsOn"]  # the instance targets the account inside its OU


def test_created_accounts_are_unchanged(platform: PlatformConfig) -> None:
    for account in _accounts(organization_template(platform)).values():
        assert account["Properties"]["RoleName"] == "OrganizationAccountAccessRole"


def test_the_adopt_synth_refuses_when_nothing_is_to_be_imported(platform: PlatformConfig) -> None:
    with pytest.raises(ConfigError, match="nothing to import"):
        organization_template(platform, **{IMPORT_CONTEXT: "adopt"})
    with pytest.raises(ConfigError, match="the only value is 'adopt'"):
        organization_template(platform, **{IMPORT_CONTEXT: "yes"})
    with pytest.raises(ImportError_, match="nothing to import"):
        resource_mapping(platform, organization_template(platform))


def test_the_mapping_needs_the_adopt_synth(pending: PlatformConfig) -> None:
    with pytest.raises(ImportError_, match="organization-import=adopt"):
        resource_mapping(pending, organization_template(pending))


def test_imported_is_only_for_lifecycle_import() -> None:
    with pytest.raises(ValidationError, match="only an account with lifecycle: import"):
        MemberAccount(name="x", ou="Security", lifecycle="create", imported=True)


def test_the_mapping_file_is_what_cdk_import_reads(pending: PlatformConfig, tmp_path: Path) -> None:
    from innovate_infra.ops.import_mapping import write_mapping

    app = create_app(outdir=tmp_path, context={IMPORT_CONTEXT: "adopt"})
    stage = cdk.Stage(app, "accounts")
    OrganizationStack(
        stage,
        "ManagementOrganization",
        settings=StackSettings(
            name=Naming(pending).stack_name("management", "organization"),
            account=pending.account_id("management"),
            region=pending.home_region,
            description="test",
            termination_protection=True,
            tags={},
        ),
        platform=pending,
        naming=Naming(pending),
    )
    app.synth()
    out = tmp_path / "mapping.json"
    [logical] = write_mapping(pending, tmp_path, out)
    assert json.loads(out.read_text()) == {logical: {"AccountId": pending.account_id("production")}}
