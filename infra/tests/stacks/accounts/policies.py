"""The account stacks' policies as AWS would evaluate them: read from the session's
synthesized templates, intrinsics resolved, ready for ``policy_eval.authorize``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from innovate_infra.compliance.policy_eval import Principal, TemplateContext, resolve
from innovate_infra.config import PlatformConfig
from innovate_infra.config.types import AccountKey
from innovate_infra.naming import Naming

from tests.stacks.accounts.support import managed_policy, resources

Templates = Mapping[str, dict[str, Any]]
Document = dict[str, Any]

SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"


def sso_role(account: str, permission_set: str) -> Principal:
    """The role Identity Center provisions for a permission set in an account."""
    return Principal.role(
        account, f"AWSReservedSSO_{permission_set}_0123456789abcdef", path=SSO_PATH
    )


@dataclass(frozen=True)
class Estate:
    templates: Templates
    platform: PlatformConfig
    naming: Naming

    def account(self, key: AccountKey) -> str:
        return self.platform.account_id(key)

    @property
    def region(self) -> str:
        return self.platform.home_region

    @property
    def org_id(self) -> str:
        return self.platform.accounts.organization.organization_id

    def template(self, scope: str, purpose: str) -> dict[str, Any]:
        return self.templates[self.naming.stack_name(scope, purpose)]

    # -- resolution ----------------------------------------------------------------

    def context(self, template: Mapping[str, Any], account: str) -> TemplateContext:
        """References of a template: buckets resolve to their name and ARN, every other
        resource with a physical name to it (roles, keys are not referenced in policies)."""
        references: dict[str, str] = {}
        for logical, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::S3::Bucket" and "BucketName" in props:
                references[logical] = props["BucketName"]
                references[f"{logical}.Arn"] = f"arn:aws:s3:::{props['BucketName']}"
            if resource["Type"] == "AWS::IAM::Role" and "RoleName" in props:
                references[logical] = props["RoleName"]
                references[f"{logical}.Arn"] = f"arn:aws:iam::{account}:role/{props['RoleName']}"
        # Cross-stack references (detector id, OU ids) resolve to a value named after the
        # export: chosen here, never evaluated as a principal or a condition value.
        exports = {
            str(output["Export"]["Name"]): f"export-{name}"
            for other in self.templates.values()
            for name, output in other.get("Outputs", {}).items()
            if "Export" in output
        }
        return TemplateContext(
            account=account, region=self.region, references=references, exports=exports
        )

    # -- documents -----------------------------------------------------------------

    def key_policy(self, scope: str, purpose: str) -> Document:
        template = self.template(scope, purpose)
        [key] = resources(template, "AWS::KMS::Key").values()
        account = self.stack_account(scope)
        document: Document = resolve(
            key["Properties"]["KeyPolicy"], self.context(template, account)
        )
        return document

    def bucket_policy(self, bucket_name: str) -> Document:
        template = self.template("security", "log-archive")
        ctx = self.context(template, self.account("security"))
        buckets = {
            logical: r["Properties"]["BucketName"]
            for logical, r in resources(template, "AWS::S3::Bucket").items()
        }
        for policy in resources(template, "AWS::S3::BucketPolicy").values():
            if buckets.get(policy["Properties"]["Bucket"]["Ref"]) == bucket_name:
                document: Document = resolve(policy["Properties"]["PolicyDocument"], ctx)
                return document
        raise AssertionError(f"no bucket policy for {bucket_name}")

    def role(self, scope: str, purpose: str, role_name: str) -> tuple[Document, list[Document]]:
        """(trust policy, identity policies) of a named role of a stack."""
        template = self.template(scope, purpose)
        account = self.stack_account(scope)
        ctx = self.context(template, account)
        [(logical, role)] = [
            (k, r)
            for k, r in resources(template, "AWS::IAM::Role").items()
            if r["Properties"].get("RoleName") == role_name
        ]
        identity = [
            resolve(p["Properties"]["PolicyDocument"], ctx)
            for p in resources(template, "AWS::IAM::Policy").values()
            if {"Ref": logical} in p["Properties"].get("Roles", [])
        ]
        identity += [
            resolve(p["PolicyDocument"], ctx) for p in role["Properties"].get("Policies", [])
        ]
        trust: Document = resolve(role["Properties"]["AssumeRolePolicyDocument"], ctx)
        return trust, identity

    def stack_set_template(self) -> dict[str, Any]:
        template = self.template("management", "security-services")
        [stack_set] = resources(template, "AWS::CloudFormation::StackSet").values()
        body: dict[str, Any] = json.loads(stack_set["Properties"]["TemplateBody"])
        return body

    def stack_set_role(self, account: str) -> tuple[Document, list[Document]]:
        """The StackSet's recorder role as it is created in ``account``."""
        body = self.stack_set_template()
        ctx = TemplateContext(account=account, region=self.region)
        props = body["Resources"]["RecorderRole"]["Properties"]
        trust: Document = resolve(props["AssumeRolePolicyDocument"], ctx)
        return trust, [resolve(p["PolicyDocument"], ctx) for p in props["Policies"]]

    def permission_set(self, name: str, *, managed: bool = True) -> list[Document]:
        """Identity policies of a permission set: its managed policies (vendored; left out
        with ``managed=False``) and its inline policy, as the Identity stack provisions them."""
        template = self.template("management", "identity")
        [ps] = [
            r
            for r in resources(template, "AWS::SSO::PermissionSet").values()
            if r["Properties"]["Name"] == name
        ]
        documents = (
            [managed_policy(arn.rsplit("/", 1)[1]) for arn in ps["Properties"]["ManagedPolicies"]]
            if managed
            else []
        )
        inline = ps["Properties"].get("InlinePolicy")
        if inline is not None:
            documents.append(inline if isinstance(inline, dict) else json.loads(inline))
        return documents

    def organization_policies(self, key: AccountKey, policy_type: str) -> list[Document]:
        """The SCPs or RCPs that apply to an account: attached to the root or to its OU
        or an ancestor OU (config), content as the Organization stack deploys it."""
        template = self.template("management", "organization")
        by_name = {
            r["Properties"]["Name"]: r["Properties"]
            for r in resources(template, "AWS::Organizations::Policy").values()
        }
        ou = self.platform.accounts.accounts[key].ou if key != "management" else None
        applying = []
        for document, targets in self.platform.accounts.guardrails.attachments.items():
            props = by_name[self.naming.organization_policy_name(document)]
            if props["Type"] != policy_type:
                continue
            if key == "management":
                continue  # SCPs and RCPs never apply to the management account
            if "root" in targets or any(ou == t or (ou or "").startswith(t + "/") for t in targets):
                applying.append(props["Content"])
        return applying

    def scps(self, key: AccountKey) -> list[Document]:
        return self.organization_policies(key, "SERVICE_CONTROL_POLICY")

    def rcps(self, key: AccountKey) -> list[Document]:
        return self.organization_policies(key, "RESOURCE_CONTROL_POLICY")

    def stack_account(self, scope: str) -> str:
        return self.account("management" if scope == "management" else "security")
