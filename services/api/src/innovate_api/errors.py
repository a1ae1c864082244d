"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from apiflask import HTTPError
from flask import Response

from innovate_api.context import current_request_id

PROBLEM_MIME = "application/problem+json"
log = logging.getLogger("innovate_api.errors")

# OpenAPI schema of the problem body (documented for every 4xx response).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "location": {"type": "string"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def problem_body(
    status: int,
    detail: str | None = None,
    request_id: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> bytes:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    return json.dumps(body).encode()


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, Any] | None = None,
) -> Response:
    response = Response(
        problem_body(status, detail, current_request_id(), errors),
        status=status,
        mimetype=PROBLEM_MIME,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = str(value)
    return response


def _flatten(detail: Any) -> list[dict[str, str]]:
    """APIFlask's {location: {field: [messages]}} into a list naming each field."""
    out: list[dict[str, str]] = []
    if not isinstance(detail, dict):
        return out
    for location, fields in detail.items():
        if not isinstance(fields, dict):
            continue
        for field, messages in fields.items():
            msgs = messages if isinstance(messages, list) else [messages]
            for message in msgs:
                out.append(
                    {"location": str(location), "field": str(field), "message": str(message)}
                )
    return out


# Details we are happy to show clients for werkzeug's generic errors.
_DETAILS = {
    400: "The request could not be understood (malformed JSON or parameters).",
    401: "Missing, invalid or expired access token.",
    404: "The resource does not exist.",
    405: "The method is not allowed for this resource.",
    413: "The request body is too large.",
    415: "Use Content-Type: application/json.",
}


def handle_http_error(error: HTTPError) -> Response:
    """APIFlask error processor: every HTTPError becomes a problem document."""
    status = error.status_code
    headers = dict(error.headers or {})
    headers.pop("Content-Type", None)
    if status == 422:
        return problem(
            422, "The request has invalid fields.", errors=_flatten(error.detail), headers=headers
        )
    detail = error.message if error.message and error.message != HTTPStatus(status).phrase else None
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    if status >= 500:
        detail = None
    return problem(status, detail or _DETAILS.get(status), headers=headers)
