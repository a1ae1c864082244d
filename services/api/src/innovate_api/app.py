"""Application factory."""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
import uuid
from typing import Any

from apiflask import APIFlask
from flask import Response, g, request
from werkzeug.exceptions import HTTPException

from innovate_api import __version__, metrics
from innovate_api.cli import purge_deleted
from innovate_api.config import Settings, load_settings
from innovate_api.db import Database
from innovate_api.errors import PROBLEM_MIME, PROBLEM_SCHEMA, handle_http_error, problem
from innovate_api.logs import configure_logging
from innovate_api.routes import auth as auth_routes
from innovate_api.routes import notes as notes_routes
from innovate_api.routes import ops as ops_routes
from innovate_api.security import BEARER_SCHEME, Passwords, Tokens

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
access_log = logging.getLogger("innovate_api.access")
log = logging.getLogger("innovate_api")


def create_app(settings: Settings | None = None, *, secret_client: Any = None) -> APIFlask:
    """Build the API. ``settings`` defaults to the environment (fails naming variables)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    app = APIFlask(
        "innovate_api",
        title="Innovate API",
        version=__version__,
        spec_path="/api/openapi.json",
        docs_path=None,
    )
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        OPENAPI_VERSION="3.1.0",
        VALIDATION_ERROR_SCHEMA=PROBLEM_SCHEMA,
        HTTP_ERROR_SCHEMA=PROBLEM_SCHEMA,
        VALIDATION_ERROR_DESCRIPTION="Validation error: the problem body names each field",
        AUTH_ERROR_DESCRIPTION="Missing, invalid, expired or revoked access token",
        JSON_SORT_KEYS=False,
        SECURITY_SCHEMES=BEARER_SCHEME,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["innovate.db"] = Database(settings, secret_client=secret_client)
    app.extensions["innovate.passwords"] = Passwords(settings)
    app.extensions["innovate.tokens"] = Tokens(settings)

    app.error_processor(handle_http_error)
    app.register_blueprint(ops_routes.bp)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(notes_routes.bp)
    app.cli.add_command(purge_deleted)
    app.spec_processor(_problem_media_types)

    @app.before_request
    def _start() -> Response | None:
        g.start = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else _new_request_id()
        if request.method in _BODY_METHODS:
            length = request.content_length
            if length is not None and length > settings.max_content_length:
                return problem(413, "The request body is too large.")
            has_body = bool(length) or "Transfer-Encoding" in request.headers
            if (has_body or request.mimetype) and not request.is_json:
                return problem(415, "Use Content-Type: application/json.")
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        start = g.get("start")
        if start is not None:
            elapsed = time.perf_counter() - start
            rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            metrics.observe(request.method, rule, response.status_code, elapsed)
            access_log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": rule,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    "remote_addr": request.remote_addr,
                },
            )
        metrics.update_pool(app.extensions["innovate.db"].pool_stats)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):  # routed here only for non-error codes
            return problem(exc.code or 500)
        log.exception("unhandled error")
        return problem(500, "Internal error. Quote the request id when reporting it.")

    return app


_id_state = {"pid": -1, "prefix": "", "counter": itertools.count()}


def _new_request_id() -> str:
    """32 hex chars, unique per process: a random per-process prefix plus a counter.

    Cheaper than uuid4 (no urandom system call per request); re-seeded after fork.
    """
    pid = os.getpid()
    if _id_state["pid"] != pid:
        _id_state.update(pid=pid, prefix=uuid.uuid4().hex[:20], counter=itertools.count())
    return f"{_id_state['prefix']}{next(_id_state['counter']):012x}"  # type: ignore[call-overload]


def _problem_media_types(spec: dict[Any, Any] | str) -> dict[Any, Any] | str:
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
