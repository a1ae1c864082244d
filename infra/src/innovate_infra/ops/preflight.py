"""``make preflight``: the mistakes config validation cannot see, checked against the real
organization before a deploy.

Validation only checks formats: a mistyped organization id still loads, and would give
production a resource control policy that denies every caller in the organization, the
deploy role included. With management-account credentials (read-only is enough), this
checks that the organization, its root, the member accounts (ids, e-mails, names, where
they sit for an import), the Identity Center instance and the groups are the configured
ones; offline, that the CDK context has the availability zones of every account and
region. It changes nothing. Without credentials it stops with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from innovate_infra.config import PlatformConfig
from innovate_infra.config.organization import REQUIRED_TAG_KEYS
from innovate_infra.config.types import MemberKey

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    status: Status
    check: str
    detail: str


@dataclass(frozen=True)
class Clients:
    """boto3 clients (real, moto-backed or stubbed)."""

    sts: Any
    organizations: Any
    sso_admin: Any
    identitystore: Any
    ce: Any


class NoCredentials(Exception):
    """No usable AWS credentials: the message says how to get them."""


SIGN_IN = (
    "Sign in with the profile of the account the command acts on, then pass it:\n"
    "  aws sso login --profile <profile>\n"
    "  make <target> AWS_PROFILE=<profile>\n"
    "(profiles and who may use which: docs/access.md). Nothing was changed."
)
NO_CREDENTIALS = (
    "preflight needs credentials for the management account (OrganizationAdmin or ReadOnly):\n"
    "  aws sso login --profile <management-account profile>\n"
    "  make preflight AWS_PROFILE=<management-account profile>\n"
    "(profiles: docs/deploy.md, 'CLI profiles'). Nothing in AWS was checked."
)


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page[key])
    return items


def check_context(platform: PlatformConfig, context: Mapping[str, Any]) -> Iterable[Finding]:
    """cdk.context.json is keyed by account id: after the ids change, its availability-zone
    entries must be added for the new ids (docs/deploy.md, checklist)."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for key in ("management", "security"):
        for region in platform.organization.allowed_regions:
            wanted.setdefault((platform.account_id(key), region), [])
    for env in platform.environments.values():
        wanted.setdefault((platform.environment_account_id(env), env.region), []).extend(
            env.availability_zones
        )
    for (account, region), zones in sorted(wanted.items()):
        entry = f"availability-zones:account={account}:region={region}"
        known = context.get(entry)
        if known is None:
            yield Finding(
                "fail",
                "cdk.context.json",
                f"no {entry!r}: add it (`aws ec2 describe-availability-zones --region {region} "
                "--query 'AvailabilityZones[].ZoneName'` in that account)",
            )
        elif missing := [z for z in zones if z not in known]:
            yield Finding("fail", "cdk.context.json", f"{entry}: lacks configured zones {missing}")
    yield Finding("ok", "cdk.context.json", f"availability zones of {len(wanted)} account/regions")


def _identity(clients: Clients, platform: PlatformConfig) -> Iterable[Finding]:
    caller = clients.sts.get_caller_identity()
    management = platform.account_id("management")
    if caller["Account"] != management:
        yield Finding(
            "fail",
            "credentials",
            f"signed in to account {caller['Account']}, not the management account {management} "
            "(organization.yaml accounts.management.id)",
        )
        return
    yield Finding("ok", "credentials", f"{caller['Arn']}")


def _organization(clients: Clients, platform: PlatformConfig) -> Iterable[Finding]:
    org = clients.organizations.describe_organization()["Organization"]
    expected = platform.accounts.organization
    if org["Id"] != expected.organization_id:
        yield Finding(
            "fail",
            "organization",
            f"accounts.yaml organization.organization_id is {expected.organization_id}, the "
            f"organization is {org['Id']}: the RCP and every aws:PrincipalOrgID condition "
            "would deny the organization's own callers",
        )
    else:
        yield Finding("ok", "organization", org["Id"])
    if org.get("FeatureSet") != "ALL":
        yield Finding("fail", "organization", "all features must be enabled (SCPs, RCPs)")
    roots = clients.organizations.list_roots()["Roots"]
    root_ids = [r["Id"] for r in roots]
    if expected.root_id not in root_ids:
        yield Finding(
            "fail",
            "root",
            f"accounts.yaml organization.root_id is {expected.root_id}, the root is "
            f"{', '.join(root_ids)}",
        )
    else:
        yield Finding("ok", "root", expected.root_id)


def _ou_paths(clients: Clients, root_id: str) -> dict[str, str]:
    """OU id -> path (``Workloads/Prod``), for the OUs that exist."""
    paths: dict[str, str] = {}
    pending = [(root_id, "")]
    while pending:
        parent, prefix = pending.pop()
        for ou in _paginate(
            clients.organizations,
            "list_organizational_units_for_parent",
            "OrganizationalUnits",
            ParentId=parent,
        ):
            path = f"{prefix}{ou['Name']}"
            paths[ou["Id"]] = path
            pending.append((ou["Id"], path + "/"))
    return paths


def _accounts(clients: Clients, platform: PlatformConfig) -> Iterable[Finding]:
    listed = _paginate(clients.organizations, "list_accounts", "Accounts")
    by_id = {a["Id"]: a for a in listed}
    by_email = {a["Email"].lower(): a for a in listed}
    # The real root (a mistyped root_id is reported by the organization check).
    root_id = clients.organizations.list_roots()["Roots"][0]["Id"]
    ou_paths = _ou_paths(clients, root_id)
    member: MemberKey
    for member, spec in platform.accounts.accounts.items():
        configured = platform.organization.accounts.by_key(member)
        where = f"account {member}"
        found = by_id.get(configured.id)
        if found is None:
            other = by_email.get(configured.email.lower())
            if other is not None:
                yield Finding(
                    "fail",
                    where,
                    f"organization.yaml has id {configured.id}, but the account with e-mail "
                    f"{configured.email} is {other['Id']}",
                )
            elif spec.lifecycle == "create":
                yield Finding(
                    "warn",
                    where,
                    f"{configured.id} is not in the organization yet: the organization stack "
                    "creates it; then write its id into organization.yaml (docs/deploy.md)",
                )
            else:
                yield Finding(
                    "fail",
                    where,
                    f"lifecycle: import, but {configured.id} is not in the organization: invite "
                    "it and accept the invitation from the account (docs/deploy.md)",
                )
            continue
        mismatches = [
            f"{field} is {found[attr]!r}, config says {value!r}"
            for field, attr, value in (
                ("e-mail", "Email", configured.email),
                ("name", "Name", spec.name),
            )
            if str(found[attr]).lower() != value.lower()
        ]
        if mismatches:
            # An import must model the account exactly; for a created one the stack would
            # try to change (the e-mail: replace) the account.
            yield Finding("fail", where, "; ".join(mismatches))
            continue
        if found.get("Status", "ACTIVE") != "ACTIVE":
            yield Finding("fail", where, f"status {found['Status']}")
            continue
        [parent] = clients.organizations.list_parents(ChildId=configured.id)["Parents"]
        at = "root" if parent["Id"] == root_id else ou_paths.get(parent["Id"], parent["Id"])
        if spec.lifecycle == "import" and not spec.imported and at != "root":
            yield Finding(
                "fail",
                where,
                f"to be imported but sits in {at}: the import models it at the root; move it "
                f"there first (aws organizations move-account --account-id {configured.id} "
                f"--source-parent-id {parent['Id']} --destination-parent-id {root_id})",
            )
        elif at not in ("root", spec.ou):
            yield Finding("warn", where, f"in {at}; the next deploy moves it to {spec.ou}")
        else:
            yield Finding("ok", where, f"{configured.id} in {at}")


def _identity_center(clients: Clients, platform: PlatformConfig) -> Iterable[Finding]:
    ic = platform.accounts.identity_center
    instances = _paginate(clients.sso_admin, "list_instances", "Instances")
    match = [i for i in instances if i["InstanceArn"] == ic.instance_arn]
    if not match:
        yield Finding(
            "fail",
            "identity center",
            f"accounts.yaml identity_center.instance_arn {ic.instance_arn} is not this "
            f"organization's instance ({', '.join(i['InstanceArn'] for i in instances) or 'none'})",
        )
        return
    if match[0]["IdentityStoreId"] != ic.identity_store_id:
        yield Finding(
            "fail",
            "identity center",
            f"identity_center.identity_store_id is {ic.identity_store_id}, the instance's is "
            f"{match[0]['IdentityStoreId']}",
        )
        return
    yield Finding("ok", "identity center", ic.instance_arn)
    for name, group_id in ic.groups.items():
        try:
            group = clients.identitystore.describe_group(
                IdentityStoreId=ic.identity_store_id, GroupId=group_id
            )
        except clients.identitystore.exceptions.ResourceNotFoundException:
            yield Finding(
                "fail", f"group {name}", f"identity_center.groups.{name}: no group {group_id}"
            )
            continue
        if group.get("DisplayName") != name:
            yield Finding(
                "warn", f"group {name}", f"{group_id} is named {group.get('DisplayName')!r}"
            )
        else:
            yield Finding("ok", f"group {name}", group_id)


def _cost_allocation_tags(clients: Clients) -> Iterable[Finding]:
    tags = clients.ce.list_cost_allocation_tags(TagKeys=list(REQUIRED_TAG_KEYS))[
        "CostAllocationTags"
    ]
    active = {t["TagKey"] for t in tags if t.get("Status") == "Active"}
    inactive = [key for key in REQUIRED_TAG_KEYS if key not in active]
    if inactive:
        yield Finding(
            "warn",
            "cost allocation tags",
            f"not active yet: {inactive} (keys appear up to 24 h after first use; the "
            "management-cost stack activates them on its next deploy)",
        )
    else:
        yield Finding("ok", "cost allocation tags", ", ".join(REQUIRED_TAG_KEYS))


def run(
    platform: PlatformConfig, clients: Clients, context: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Every check; a caller without credentials gets ``NoCredentials``."""
    from botocore.exceptions import ClientError, NoCredentialsError, TokenRetrievalError

    findings = list(check_context(platform, context)) if context is not None else []
    try:
        identity = list(_identity(clients, platform))
    except (NoCredentialsError, TokenRetrievalError) as exc:
        raise NoCredentials(f"{exc}\n{NO_CREDENTIALS}") from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"):
            raise NoCredentials(f"{code}\n{NO_CREDENTIALS}") from None
        raise
    findings += identity
    if any(f.status == "fail" for f in identity):
        return findings
    findings += _organization(clients, platform)
    findings += _accounts(clients, platform)
    findings += _identity_center(clients, platform)
    findings += _cost_allocation_tags(clients)
    return findings


def render(findings: Iterable[Finding]) -> str:
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    return "\n".join(f"{marks[f.status]}  {f.check:<28} {f.detail}" for f in findings)


def load_context(infra_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((infra_dir / "cdk.context.json").read_text("utf-8"))
    return data
