"""Organization policy documents kept as reviewed JSON files under ``infra/policies``.

The files are the artefact a reviewer reads. Values that differ per organization
(the region allow-list, the organization id, the principals allowed to change
security tooling, the tagging standard's values) appear in them as
``"{{Name}}"`` placeholders and are filled from the validated configuration
when the stacks are built. ``{{...}}`` is used rather than ``${...}`` so that
IAM policy variables such as ``${aws:PrincipalAccount}`` stay usable.

A placeholder that is a whole JSON string is replaced by the parameter's value
(a string or a list of strings); a placeholder inside a longer string is
replaced textually and must then be given a string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from innovate_infra.config.errors import ConfigError, ConfigIssue

POLICY_ROOT = Path(__file__).resolve().parents[4] / "policies"

_PLACEHOLDER = re.compile(r"\{\{([A-Za-z][A-Za-z0-9]*)\}\}")

ParamValue = str | list[str]


class PolicyType(StrEnum):
    """AWS Organizations policy types used by the platform."""

    SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
    RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"
    TAG_POLICY = "TAG_POLICY"


# Maximum document size in characters, as AWS Organizations counts it (the
# document as submitted; the platform submits the minified JSON).
MAX_POLICY_CHARACTERS: dict[PolicyType, int] = {
    PolicyType.SERVICE_CONTROL_POLICY: 5120,
    PolicyType.RESOURCE_CONTROL_POLICY: 5120,
    PolicyType.TAG_POLICY: 10000,
}

_TYPE_BY_FOLDER: dict[str, PolicyType] = {
    "scp": PolicyType.SERVICE_CONTROL_POLICY,
    "rcp": PolicyType.RESOURCE_CONTROL_POLICY,
    "tag": PolicyType.TAG_POLICY,
}


class PolicyRenderError(ConfigError):
    """A policy document could not be loaded or rendered: names the document, the
    placeholder (or ``<file>``) and the reason, like every configuration error."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        super().__init__([ConfigIssue(file, field, reason)])


@dataclass(frozen=True)
class RenderedPolicy:
    """A policy document ready to submit to AWS."""

    name: str
    """Path below ``infra/policies`` without ``.json``, e.g. ``scp/prod-guardrails``."""
    document: dict[str, Any]

    @property
    def minified(self) -> str:
        return minify(self.document)

    @property
    def policy_type(self) -> PolicyType:
        return organization_policy_type(self.name)

    @property
    def size(self) -> int:
        return len(self.minified)


def organization_policy_type(name: str) -> PolicyType:
    """The Organizations policy type of a document, from its folder."""
    folder = name.split("/", 1)[0]
    try:
        return _TYPE_BY_FOLDER[folder]
    except KeyError:
        raise PolicyRenderError(
            name,
            "<folder>",
            f"not an organization policy (folder must be one of {sorted(_TYPE_BY_FOLDER)})",
        ) from None


def policy_path(name: str, root: Path = POLICY_ROOT) -> Path:
    return root / f"{name}.json"


def available_policies(folder: str, root: Path = POLICY_ROOT) -> list[str]:
    """Names (``folder/stem``) of the policy files in one folder, sorted."""
    return sorted(f"{folder}/{p.stem}" for p in (root / folder).glob("*.json"))


def load_template(name: str, root: Path = POLICY_ROOT) -> dict[str, Any]:
    path = policy_path(name, root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyRenderError(str(path), "<file>", "policy file not found") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyRenderError(str(path), "<file>", f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyRenderError(str(path), "<file>", "a policy document must be a JSON object")
    return data


def placeholders(template: Any) -> set[str]:
    """Every placeholder name used in a template."""
    found: set[str] = set()
    if isinstance(template, str):
        found.update(_PLACEHOLDER.findall(template))
    elif isinstance(template, list):
        for item in template:
            found |= placeholders(item)
    elif isinstance(template, dict):
        for key, value in template.items():
            found |= placeholders(key)
            found |= placeholders(value)
    return found


def render(template: Any, params: Mapping[str, ParamValue], *, source: str = "policy") -> Any:
    """Fill ``{{Name}}`` placeholders; fails on a missing parameter or a list used in text."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return _param(params, whole.group(1), source)

        def substitute(match: re.Match[str]) -> str:
            value = _param(params, match.group(1), source)
            if not isinstance(value, str):
                raise PolicyRenderError(
                    source,
                    f"{{{{{match.group(1)}}}}}",
                    "the placeholder is inside a longer string "
                    "and needs a single string value, not a list",
                )
            return value

        return _PLACEHOLDER.sub(substitute, template)
    if isinstance(template, list):
        return [render(item, params, source=source) for item in template]
    if isinstance(template, dict):
        return {
            render(key, params, source=source): render(value, params, source=source)
            for key, value in template.items()
        }
    return template


def _param(params: Mapping[str, ParamValue], name: str, source: str) -> ParamValue:
    try:
        value = params[name]
    except KeyError:
        raise PolicyRenderError(source, f"{{{{{name}}}}}", "no value for the placeholder") from None
    if isinstance(value, list):
        if not value:
            raise PolicyRenderError(source, f"{{{{{name}}}}}", "the placeholder got an empty list")
        return list(value)
    return value


def minify(document: Any) -> str:
    """The JSON text submitted to AWS: no insignificant whitespace."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def render_policy(
    name: str, params: Mapping[str, ParamValue], root: Path = POLICY_ROOT
) -> RenderedPolicy:
    """Load, render and size-check one organization policy or permission-set policy."""
    document = render(load_template(name, root), params, source=str(policy_path(name, root)))
    policy = RenderedPolicy(name=name, document=document)
    folder = name.split("/", 1)[0]
    if folder in _TYPE_BY_FOLDER:
        limit = MAX_POLICY_CHARACTERS[policy.policy_type]
        if policy.size > limit:
            raise PolicyRenderError(
                str(policy_path(name, root)),
                "<document>",
                f"{policy.size} characters minified, "
                f"over the {limit}-character limit for {policy.policy_type.value}",
            )
    return policy
