"""Organization structure and guardrail attachment per OU (management account)."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template
from innovate_infra.config import PlatformConfig
from innovate_infra.constructs.organization.policies import render_policy
from innovate_infra.naming import Naming
from innovate_infra.stacks.accounts.parameters import policy_parameters

from tests.conftest import Synth


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


def ou_logical_ids(template: Template) -> dict[str, str]:
    """OU path -> logical id, rebuilt from the template's parent references."""
    ous = resources(template, "AWS::Organizations::OrganizationalUnit")
    paths: dict[str, str] = {}
    pending = dict(ous)
    while pending:
        for logical, ou in list(pending.items()):
            parent = ou["Properties"]["ParentId"]
            name = ou["Properties"]["Name"]
            if isinstance(parent, str):
                paths[name] = logical
                del pending[logical]
            else:
                parent_logical = parent["Fn::GetAtt"][0]
                parent_path = next((p for p, lid in paths.items() if lid == parent_logical), None)
                if parent_path is not None:
                    paths[f"{parent_path}/{name}"] = logical
                    del pending[logical]
    return paths


def test_ous_form_the_configured_tree(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    template = synth.template(synth.accounts.organization)
    paths = ou_logical_ids(template)
    assert set(paths) == set(platform.accounts.organization.organizational_units)
    root_children = [
        ou
        for ou in resources(template, "AWS::Organizations::OrganizationalUnit").values()
        if ou["Properties"]["ParentId"] == platform.accounts.organization.root_id
    ]
    assert {ou["Properties"]["Name"] for ou in root_children} == {"Security", "Workloads"}


def test_member_accounts_sit_in_their_ou_and_are_retained(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    template = synth.template(synth.accounts.organization)
    paths = ou_logical_ids(template)
    accounts = resources(template, "AWS::Organizations::Account")
    assert len(accounts) == 3
    by_name = {a["Properties"]["AccountName"]: a for a in accounts.values()}
    for key, account in platform.accounts.accounts.items():
        resource = by_name[account.name]
        assert resource["Properties"]["Email"] == platform.organization.accounts.by_key(key).email
        assert resource["Properties"]["ParentIds"] == [{"Fn::GetAtt": [paths[account.ou], "Id"]}]
        assert resource["Properties"]["RoleName"] == "OrganizationAccountAccessRole"
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"


def attachments(template: Template) -> dict[str, list[Any]]:
    return {
        p["Properties"]["Name"]: p["Properties"]["TargetIds"]
        for p in resources(template, "AWS::Organizations::Policy").values()
    }


def test_guardrails_are_attached_per_ou(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    template = synth.template(synth.accounts.organization)
    prod = {"Fn::GetAtt": [ou_logical_ids(template)["Workloads/Prod"], "Id"]}
    workloads = {"Fn::GetAtt": [ou_logical_ids(template)["Workloads"], "Id"]}
    root = platform.accounts.organization.root_id
    assert attachments(template) == {
        "innovate-scp-workload-network-integrity": [workloads],
        "innovate-scp-deployment-roles": [root],
        "innovate-scp-baseline-organization": [root],
        "innovate-scp-baseline-security-services": [root],
        "innovate-scp-baseline-data-protection": [root],
        "innovate-scp-prod-guardrails": [prod],
        "innovate-rcp-prod-data-perimeter": [prod],
        "innovate-tag-tagging-standard": [root],
    }


def test_policy_types_and_content_match_the_reviewed_documents(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    template = synth.template(synth.accounts.organization)
    params = policy_parameters(platform, naming)
    expected_type = {
        "scp": "SERVICE_CONTROL_POLICY",
        "rcp": "RESOURCE_CONTROL_POLICY",
        "tag": "TAG_POLICY",
    }
    policies = resources(template, "AWS::Organizations::Policy")
    assert len(policies) == len(platform.accounts.guardrails.attachments)
    for policy in policies.values():
        props = policy["Properties"]
        name = props["Name"].removeprefix("innovate-").replace("-", "/", 1)
        assert props["Type"] == expected_type[name.split("/")[0]]
        assert props["Content"] == render_policy(name, params).document
        assert props["Description"] == f"Reviewed document infra/policies/{name}.json"


def test_policy_types_are_enabled_before_attachment(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    template = synth.template(synth.accounts.organization)
    calls = resources(template, "Custom::AWS")
    enabled = {}
    for logical, call in calls.items():
        create = call["Properties"]["Create"]
        text = create if isinstance(create, str) else str(create)
        for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY"):
            if f'"PolicyType":"{policy_type}"' in text and "EnablePolicyType" in text:
                enabled[policy_type] = logical
                assert platform.accounts.organization.root_id in text
    assert set(enabled) == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY"}
    for policy in resources(template, "AWS::Organizations::Policy").values():
        type_call = enabled[policy["Properties"]["Type"]]
        assert type_call in policy["DependsOn"]


def test_enable_policy_type_is_scoped_to_the_root(
    synth: Synth, platform: PlatformConfig, naming: Naming
) -> None:
    template = synth.template(synth.accounts.organization)
    org = platform.accounts.organization
    management = platform.account_id("management")
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "organizations:EnablePolicyType",
                                "Resource": f"arn:aws:organizations::{management}"
                                f":root/{org.organization_id}/{org.root_id}",
                            }
                        )
                    ]
                )
            }
        },
    )
