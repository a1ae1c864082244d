"""The ``cdk import --resource-mapping`` file of ``make import-accounts``.

``cdk import`` adopts an existing resource into a stack when the template adds a resource
for it and nothing else changes; the mapping names, per logical id, the physical
identifier (``AccountId`` for ``AWS::Organizations::Account``). Written from the adopt
synth (``-c organization-import=adopt``) and the configured account ids, so nobody types
an account id at a prompt.
"""

from __future__ import annotations

import json
from pathlib import Path

from innovate_infra.config import PlatformConfig
from innovate_infra.naming import Naming


class ImportError_(Exception):
    """The assembly is not the adopt synth, or nothing is to be imported."""


def pending_imports(platform: PlatformConfig) -> dict[str, str]:
    """Account key -> id of every ``lifecycle: import`` account not imported yet."""
    return {
        key: platform.account_id(key)
        for key, member in platform.accounts.accounts.items()
        if member.lifecycle == "import" and not member.imported
    }


def organization_template(platform: PlatformConfig, assembly: Path) -> dict[str, object]:
    name = Naming(platform).stack_name("management", "organization")
    for manifest_path in assembly.glob("assembly-*/manifest.json"):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for artifact in manifest.get("artifacts", {}).values():
            props = artifact.get("properties", {})
            if (
                artifact.get("type") == "aws:cloudformation:stack"
                and props.get("stackName") == name
            ):
                path = manifest_path.parent / props["templateFile"]
                template: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
                return template
    raise ImportError_(f"{assembly}: no {name} stack (synthesize the app first)")


def resource_mapping(
    platform: PlatformConfig, template: dict[str, object]
) -> dict[str, dict[str, str]]:
    pending = pending_imports(platform)
    if not pending:
        raise ImportError_(
            "no account has lifecycle: import with imported: false in accounts.yaml: "
            "nothing to import"
        )
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise ImportError_("the organization template has no Resources")
    by_name = {
        r["Properties"]["AccountName"]: logical
        for logical, r in resources.items()
        if r["Type"] == "AWS::Organizations::Account"
    }
    mapping: dict[str, dict[str, str]] = {}
    for key, account_id in pending.items():
        name = platform.accounts.accounts[key].name  # type: ignore[index]
        if name not in by_name:
            raise ImportError_(
                f"the organization template has no resource for account {key} ({name}): "
                "synthesize with -c organization-import=adopt (make import-accounts does)"
            )
        mapping[by_name[name]] = {"AccountId": account_id}
    return mapping


def write_mapping(platform: PlatformConfig, assembly: Path, out: Path) -> list[str]:
    mapping = resource_mapping(platform, organization_template(platform, assembly))
    out.write_text(json.dumps(mapping, indent=2) + "\n", encoding="utf-8")
    return sorted(mapping)
