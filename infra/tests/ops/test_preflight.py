"""``make preflight`` against AWS API stubs: moto for Organizations, IAM Identity Center
and the identity store; botocore's Stubber for Cost Explorer (moto lacks its tag API)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from innovate_infra.config import PlatformConfig
from innovate_infra.config.organization import REQUIRED_TAG_KEYS
from innovate_infra.ops.preflight import Clients, Finding, NoCredentials, check_context, run
from moto import mock_aws

REGION = "eu-west-1"


@dataclass
class Estate:
    """A moto organization shaped like the config, and the config that matches it."""

    clients: Clients
    platform: PlatformConfig
    stubber: Stubber
    root_id: str
    ou_ids: dict[str, str]


def _ce(active: list[str]) -> tuple[Any, Stubber]:
    ce = boto3.client(
        "ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(ce)
    for _ in range(3):  # one response per run() of a test
        stubber.add_response(
            "list_cost_allocation_tags",
            {
                "CostAllocationTags": [
                    {
                        "TagKey": k,
                        "Type": "UserDefined",
                        "Status": "Active" if k in active else "Inactive",
                    }
                    for k in REQUIRED_TAG_KEYS
                ]
            },
            {"TagKeys": list(REQUIRED_TAG_KEYS)},
        )
    stubber.activate()
    return ce, stubber


def matching(
    platform: PlatformConfig, org: Any, sso: Any, store: Any
) -> tuple[PlatformConfig, str, dict[str, str]]:
    """Create the organization in moto and a config naming its real ids."""
    organization = org.create_organization(FeatureSet="ALL")["Organization"]
    [root] = org.list_roots()["Roots"]
    ou_ids: dict[str, str] = {}
    for path in sorted(
        platform.accounts.organization.organizational_units, key=lambda p: p.count("/")
    ):
        parent, _, name = path.rpartition("/")
        ou = org.create_organizational_unit(
            ParentId=ou_ids[parent] if parent else root["Id"], Name=name
        )
        ou_ids[path] = ou["OrganizationalUnit"]["Id"]
    ids: dict[str, str] = {"management": organization["MasterAccountId"]}
    for key, member in platform.accounts.accounts.items():
        email = platform.organization.accounts.by_key(key).email
        status = org.create_account(Email=email, AccountName=member.name)["CreateAccountStatus"]
        ids[key] = status["AccountId"]
        org.move_account(
            AccountId=ids[key], SourceParentId=root["Id"], DestinationParentId=ou_ids[member.ou]
        )
    [instance] = sso.list_instances()["Instances"]
    groups = {
        name: store.create_group(IdentityStoreId=instance["IdentityStoreId"], DisplayName=name)[
            "GroupId"
        ]
        for name in platform.accounts.identity_center.groups
    }
    o = platform.organization
    accounts = o.accounts.model_copy(
        update={k: getattr(o.accounts, k).model_copy(update={"id": v}) for k, v in ids.items()}
    )
    a = platform.accounts
    configured = platform.model_copy(
        update={
            "organization": o.model_copy(update={"accounts": accounts}),
            "accounts": a.model_copy(
                update={
                    "organization": a.organization.model_copy(
                        update={"organization_id": organization["Id"], "root_id": root["Id"]}
                    ),
                    "identity_center": a.identity_center.model_copy(
                        update={
                            "instance_arn": instance["InstanceArn"],
                            "identity_store_id": instance["IdentityStoreId"],
                            "groups": groups,
                        }
                    ),
                }
            ),
        }
    )
    return configured, root["Id"], ou_ids


@pytest.fixture
def estate(platform: PlatformConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(var, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        org = boto3.client("organizations", region_name="us-east-1")
        sso = boto3.client("sso-admin", region_name=REGION)
        store = boto3.client("identitystore", region_name=REGION)
        configured, root_id, ou_ids = matching(platform, org, sso, store)
        ce, stubber = _ce(active=list(REQUIRED_TAG_KEYS))
        clients = Clients(
            sts=boto3.client("sts", region_name=REGION),
            organizations=org,
            sso_admin=sso,
            identitystore=store,
            ce=ce,
        )
        yield Estate(clients, configured, stubber, root_id, ou_ids)


def failures(findings: list[Finding]) -> list[str]:
    return [f"{f.check}: {f.detail}" for f in findings if f.status == "fail"]


def _with_org(platform: PlatformConfig, **update: str) -> PlatformConfig:
    a = platform.accounts
    return platform.model_copy(
        update={
            "accounts": a.model_copy(
                update={"organization": a.organization.model_copy(update=update)}
            )
        }
    )


def test_a_matching_organization_passes(estate: Estate) -> None:
    findings = run(estate.platform, estate.clients)
    assert failures(findings) == []
    checks = {f.check for f in findings if f.status == "ok"}
    assert {
        "organization",
        "root",
        "identity center",
        "account production",
        "group developers",
    } <= checks


def test_a_mistyped_organization_id_fails_and_says_what_it_would_break(estate: Estate) -> None:
    findings = run(_with_org(estate.platform, organization_id="o-mistyped123"), estate.clients)
    [failure] = failures(findings)
    assert "organization_id is o-mistyped123" in failure
    assert "RCP" in failure


def test_a_wrong_root_id_fails(estate: Estate) -> None:
    [failure] = failures(run(_with_org(estate.platform, root_id="r-zzzz"), estate.clients))
    assert "root_id is r-zzzz" in failure
    assert estate.root_id in failure


def test_a_wrong_account_id_is_found_by_its_email(estate: Estate) -> None:
    o = estate.platform.organization
    real = o.accounts.production.id
    accounts = o.accounts.model_copy(
        update={"production": o.accounts.production.model_copy(update={"id": "999999999999"})}
    )
    platform = estate.platform.model_copy(
        update={"organization": o.model_copy(update={"accounts": accounts})}
    )
    [failure] = failures(run(platform, estate.clients))
    assert "999999999999" in failure
    assert real in failure


def test_an_unknown_group_and_identity_center_instance_fail(estate: Estate) -> None:
    ic = estate.platform.accounts.identity_center
    groups = dict(ic.groups, developers="00000000-0000-0000-0000-000000000000")
    a = estate.platform.accounts
    platform = estate.platform.model_copy(
        update={
            "accounts": a.model_copy(
                update={"identity_center": ic.model_copy(update={"groups": groups})}
            )
        }
    )
    [failure] = failures(run(platform, estate.clients))
    assert failure.startswith("group developers: identity_center.groups.developers")
    other = ic.model_copy(update={"instance_arn": "arn:aws:sso:::instance/ssoins-0000000000000000"})
    platform = estate.platform.model_copy(
        update={"accounts": a.model_copy(update={"identity_center": other})}
    )
    [failure] = failures(run(platform, estate.clients))
    assert "ssoins-0000000000000000 is not this organization's instance" in failure


def _importing(platform: PlatformConfig, key: str, **update: Any) -> PlatformConfig:
    a = platform.accounts
    members = dict(a.accounts)
    members[key] = members[key].model_copy(update={"lifecycle": "import", **update})  # type: ignore[index]
    return platform.model_copy(update={"accounts": a.model_copy(update={"accounts": members})})


def test_an_account_to_import_must_sit_at_the_root(estate: Estate) -> None:
    platform = _importing(estate.platform, "production")
    [failure] = failures(run(platform, estate.clients))
    assert "to be imported but sits in Workloads/Prod" in failure
    assert "move-account" in failure
    org = estate.clients.organizations
    prod = platform.account_id("production")
    org.move_account(
        AccountId=prod,
        SourceParentId=estate.ou_ids["Workloads/Prod"],
        DestinationParentId=estate.root_id,
    )
    assert failures(run(platform, estate.clients)) == []


def test_an_account_to_import_must_be_a_member_with_the_configured_name(estate: Estate) -> None:
    a = estate.platform.accounts
    platform = _importing(estate.platform, "security", name="some-other-name")
    [failure] = failures(run(platform, estate.clients))
    assert "name is" in failure
    assert "some-other-name" in failure
    o = estate.platform.organization
    accounts = o.accounts.model_copy(
        update={
            "security": o.accounts.security.model_copy(
                update={"id": "999999999999", "email": "new@innovate.example.com"}
            )
        }
    )
    outsider = _importing(
        estate.platform.model_copy(
            update={"organization": o.model_copy(update={"accounts": accounts}), "accounts": a}
        ),
        "security",
    )
    [failure] = failures(run(outsider, estate.clients))
    assert "not in the organization: invite it" in failure


def test_inactive_cost_allocation_tags_are_reported(estate: Estate) -> None:
    ce, _ = _ce(active=["Project"])
    clients = Clients(
        estate.clients.sts,
        estate.clients.organizations,
        estate.clients.sso_admin,
        estate.clients.identitystore,
        ce,
    )
    [warning] = [f for f in run(estate.platform, clients) if f.status == "warn"]
    assert "Environment" in warning.detail
    assert "Project" not in warning.detail.split("]")[0]


def test_credentials_of_another_account_stop_before_any_check(estate: Estate) -> None:
    o = estate.platform.organization
    accounts = o.accounts.model_copy(
        update={"management": o.accounts.management.model_copy(update={"id": "000000000001"})}
    )
    platform = estate.platform.model_copy(
        update={"organization": o.model_copy(update={"accounts": accounts})}
    )
    findings = run(platform, estate.clients)
    assert [f.check for f in findings] == ["credentials"]
    assert "not the management account 000000000001" in findings[0].detail


def test_without_credentials_it_says_how_to_sign_in(
    platform: PlatformConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    sts = boto3.client("sts", region_name=REGION)
    clients = Clients(sts=sts, organizations=None, sso_admin=None, identitystore=None, ce=None)
    with pytest.raises(NoCredentials, match="aws sso login --profile"):
        run(platform, clients)


def test_the_committed_context_has_every_account_and_region(platform: PlatformConfig) -> None:
    from innovate_infra.app import INFRA_DIR
    from innovate_infra.ops.preflight import load_context

    findings = list(check_context(platform, load_context(INFRA_DIR)))
    assert failures(findings) == []
    o = platform.organization
    accounts = o.accounts.model_copy(
        update={"production": o.accounts.production.model_copy(update={"id": "555555555555"})}
    )
    changed = platform.model_copy(
        update={"organization": o.model_copy(update={"accounts": accounts})}
    )
    [failure] = failures(list(check_context(changed, load_context(INFRA_DIR))))
    assert "availability-zones:account=555555555555:region=eu-west-1" in failure
