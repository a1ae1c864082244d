"""Per-request values the WSGI middleware puts in the environ, read everywhere else.

One module owns the keys, so the middleware, the error documents and the log lines
cannot drift apart (and nothing imports the middleware to learn a key).
"""

from __future__ import annotations

from flask import has_request_context, request

REQUEST_ID_KEY = "innovate.request_id"
"""The request id (from a safe ``X-Request-Id`` or generated), set by the middleware."""
ROUTE_KEY = "innovate.route"
"""The matched route template (bounded cardinality for metrics and logs)."""


def current_request_id() -> str | None:
    """The request id of the request being served, ``None`` outside a request."""
    if not has_request_context():
        return None
    value: str | None = request.environ.get(REQUEST_ID_KEY)
    return value
