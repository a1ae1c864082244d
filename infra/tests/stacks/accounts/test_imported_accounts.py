"""Item 12: an account that joined by invitation (``lifecycle: import``) has no
OrganizationAccountAccessRole, and the SCPs refuse adding one by hand; the Organization
stack creates it there through a service-managed StackSet."""

from __future__ import annotations

import json
from typing import Any

import pytest
from innovate_infra.compliance.policy_eval import Decision, Principal, Request, authorize
from innovate_infra.config import PlatformConfig
from innovate_infra.naming import ORGANIZATION_ACCESS_ROLE, Naming

from tests.conftest import Synth, synthesize
from tests.stacks.accounts.policies import Estate
from tests.stacks.accounts.support import logical_id, managed_policy, resources


def with_imported_production(platform: PlatformConfig, *, imported: bool = True) -> PlatformConfig:
    """Production as an existing account: adopted already (``imported``) or still to be."""
    accounts = platform.accounts
    members = dict(accounts.accounts)
    members["production"] = members["production"].model_copy(
        update={"lifecycle": "import", "imported": imported}
    )
    return platform.model_copy(
        update={
            "accounts": accounts.model_copy(update={"accounts": members}),
            "environments": {},
        }
    )


@pytest.fixture(scope="module")
def imported(platform: PlatformConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(with_imported_production(platform), tmp_path_factory.mktemp("import-out"))


def _stack_set(synth: Synth) -> dict[str, Any] | None:
    template = synth.templates()[Naming(synth.platform).stack_name("management", "organization")]
    found = [
        r
        for r in resources(template, "AWS::CloudFormation::StackSet").values()
        if "imported-account-access" in r["Properties"]["StackSetName"]
    ]
    return found[0] if found else None


def ou_logical_id(templates: dict[str, dict[str, Any]], synth: Synth) -> str:
    template = templates[Naming(synth.platform).stack_name("management", "organization")]
    return logical_id(template, "AWS::Organizations::OrganizationalUnit", "/OuWorkloadsProd")


def test_created_accounts_get_no_second_access_role(synth: Synth) -> None:
    assert all(m.lifecycle == "create" for m in synth.platform.accounts.accounts.values())
    assert _stack_set(synth) is None


def test_imported_accounts_get_the_access_role_and_only_they(imported: Synth) -> None:
    stack_set = _stack_set(imported)
    assert stack_set is not None
    props = stack_set["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": False}
    [group] = props["StackInstancesGroup"]
    targets = group["DeploymentTargets"]
    prod = imported.platform.account_id("production")
    assert targets["Accounts"] == [prod]
    assert targets["AccountFilterType"] == "INTERSECTION"
    templates = imported.templates()
    # The imported account's own OU, from the same stack.
    assert targets["OrganizationalUnitIds"] == [
        {"Fn::GetAtt": [ou_logical_id(templates, imported), "Id"]}
    ]
    body = json.loads(props["TemplateBody"])
    role = body["Resources"]["OrganizationAccountAccessRole"]["Properties"]
    assert role["RoleName"] == ORGANIZATION_ACCESS_ROLE
    management = imported.platform.account_id("management")
    trust = role["AssumeRolePolicyDocument"]
    admin = managed_policy("AdministratorAccess")

    def assume(principal: Principal) -> Decision:
        return authorize(
            Request(
                principal, "sts:AssumeRole", f"arn:aws:iam::{prod}:role/{ORGANIZATION_ACCESS_ROLE}"
            ),
            resource_policy=trust,
            resource_account=prod,
            identity_policies=[admin],
            resource_policy_required=True,
        )

    assert assume(Principal.role(management, "management-admin")).allowed
    assert not assume(Principal.role("333333333333", "developer")).allowed


def test_only_stacksets_may_give_an_imported_account_the_role(
    templates: dict[str, dict[str, Any]], platform: PlatformConfig, naming: Naming
) -> None:
    """Why the StackSet: in the member account, an administrator (or root) adding the role
    by hand is refused by the SCPs; the StackSets execution role is exempt."""
    estate = Estate(templates, platform, naming)
    prod = platform.account_id("production")
    role_arn = f"arn:aws:iam::{prod}:role/{ORGANIZATION_ACCESS_ROLE}"
    admin = [managed_policy("AdministratorAccess")]
    scps = estate.scps("production")

    def attach(principal: Principal) -> Decision:
        return authorize(
            Request(
                principal, "iam:AttachRolePolicy", role_arn, {"aws:RequestedRegion": "us-east-1"}
            ),
            identity_policies=admin,
            service_control_policies=scps,
        )

    assert attach(Principal(arn=f"arn:aws:iam::{prod}:root")) is Decision.EXPLICIT_DENY
    assert attach(Principal.role(prod, "legacy-admin")) is Decision.EXPLICIT_DENY
    assert attach(Principal.role(prod, "stacksets-exec-0123456789abcdef")).allowed
