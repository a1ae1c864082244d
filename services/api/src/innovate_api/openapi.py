"""Post-processing of the generated OpenAPI document (registered by the app factory).

APIFlask documents the happy paths from the schemas; this adds what the code enforces
elsewhere: problem+json error bodies, the generic 4xx/503 answers, required bodies, and
parameter schemas as the validators really accept them.
"""

from __future__ import annotations

from typing import Any

from innovate_api.errors import PROBLEM_MIME, PROBLEM_SCHEMA


def problem_media_types(spec: dict[Any, Any] | str) -> dict[Any, Any] | str:
    """Errors are application/problem+json; document that, plus the generic 4xx cases."""
    if isinstance(spec, str):
        return spec
    problem_ref = {"schema": PROBLEM_SCHEMA}
    generic = {
        "400": "Malformed JSON body or parameters",
        "413": "Request body too large",
        "415": "Content-Type is not application/json",
    }
    for path, path_item in spec.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                if param.get("in") == "path" and "{note_id}" in path:
                    param["schema"] = {"type": "string", "format": "uuid"}
                elif param.get("in") == "query" and "anyOf" in schema:
                    # Optional query parameters are absent, never JSON null.
                    non_null = [s for s in schema["anyOf"] if s.get("type") != "null"]
                    if len(non_null) == 1:
                        param["schema"] = non_null[0]
            responses = operation["responses"]
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True  # no body is a 400
            if path.startswith(("/api/v1/auth/", "/api/v1/me", "/api/v1/notes")):
                responses.setdefault(
                    "503", {"description": "Database temporarily unavailable (Retry-After)"}
                )
            if operation.get("security"):
                responses.setdefault(
                    "401", {"description": "Missing, invalid, expired or revoked access token"}
                )
            if "requestBody" in operation or operation.get("parameters"):
                for code, text in generic.items():
                    if code == "400" or "requestBody" in operation:
                        responses.setdefault(code, {"description": text})
            for code, response in responses.items():
                if str(code).startswith(("4", "5")):
                    response["content"] = {PROBLEM_MIME: problem_ref}
    return spec
