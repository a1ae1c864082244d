"""Helpers for reading the accounts templates."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template


def sdk_calls(template: Template) -> list[dict[str, Any]]:
    """The ``Create`` payload of every AwsCustomResource, with tokens rendered as text."""
    calls = []
    for resource in template.find_resources("Custom::AWS").values():
        create = resource["Properties"]["Create"]
        if isinstance(create, dict) and "Fn::Join" in create:
            separator, parts = create["Fn::Join"]
            create = separator.join(
                p if isinstance(p, str) else "<" + json.dumps(p, sort_keys=True) + ">"
                for p in parts
            )
        calls.append(
            {"text": create, "depends_on": resource.get("DependsOn", []), "resource": resource}
        )
    return calls


def calls_of(template: Template, service: str, action: str) -> list[dict[str, Any]]:
    return [
        c
        for c in sdk_calls(template)
        if f'"service":"{service}"' in c["text"] and f'"action":"{action}"' in c["text"]
    ]
