"""Small helpers for reading synthesized templates."""

from __future__ import annotations

from typing import Any


def resources_of(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == cfn_type
    }
