"""Application factory."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from apiflask import APIFlask, HTTPError
from flask import Response, request
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

from innovate_api import __version__
from innovate_api.cli import db_bootstrap_role, purge_deleted
from innovate_api.config import Settings, load_settings
from innovate_api.context import ROUTE_KEY
from innovate_api.db import Database, DatabaseUnavailable
from innovate_api.errors import PROBLEM_SCHEMA, handle_http_error, problem
from innovate_api.extensions import Services
from innovate_api.jsonio import ApiJSONProvider
from innovate_api.limits import AuthRateLimiter, RateLimited
from innovate_api.logs import configure_logging
from innovate_api.observability import RequestObservability
from innovate_api.openapi import problem_media_types
from innovate_api.repositories.revocations import TokenRevoked
from innovate_api.routes import auth as auth_routes
from innovate_api.routes import notes as notes_routes
from innovate_api.routes import ops as ops_routes
from innovate_api.security import BEARER_SCHEME, HashingBusy, Passwords, Tokens

log = logging.getLogger("innovate_api")


class InnovateApp(APIFlask):
    json_provider_class = ApiJSONProvider

    def full_dispatch_request(self) -> Response:
        # Record the route template for metrics/logs (bounded label cardinality).
        req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy read
        rule = req.url_rule
        req.environ[ROUTE_KEY] = rule.rule if rule is not None else "<unmatched>"
        return super().full_dispatch_request()


def create_app(settings: Settings | None = None, *, secret_client: Any = None) -> APIFlask:
    """Build the API. ``settings`` defaults to the environment (fails naming variables)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    app = InnovateApp(
        "innovate_api",
        title="Innovate API",
        version=__version__,
        spec_path="/api/openapi.json",
        docs_path=None,
    )
    app.config.update(
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
    services = Services(
        settings=settings,
        db=Database(settings, secret_client=secret_client),
        passwords=Passwords(settings),
        tokens=Tokens(settings, secret_client=secret_client),
        auth_limiter=AuthRateLimiter(
            settings.auth_client_per_minute, settings.auth_global_per_second
        ),
    )
    services.install(app)

    app.error_processor(handle_http_error)
    app.register_blueprint(ops_routes.bp)
    app.register_blueprint(auth_routes.bp)
    app.register_blueprint(notes_routes.bp)
    app.cli.add_command(purge_deleted)
    app.cli.add_command(db_bootstrap_role)
    app.spec_processor(problem_media_types)

    app.wsgi_app = RequestObservability(  # type: ignore[method-assign]
        app.wsgi_app,
        settings.max_content_length,
        services.db.pool_stats,
    )

    @app.errorhandler(TokenRevoked)
    def _revoked(exc: TokenRevoked) -> Response:
        return handle_http_error(HTTPError(401, "The access token has been revoked."))

    @app.errorhandler(RateLimited)
    def _rate_limited(exc: RateLimited) -> Response:
        return problem(
            429,
            "Too many sign-in or registration requests. Try again later.",
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.errorhandler(HashingBusy)
    def _hashing_busy(exc: HashingBusy) -> Response:
        return problem(
            503,
            "Too many sign-ins in progress. Try again shortly.",
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.errorhandler(DatabaseUnavailable)
    def _database_down(exc: DatabaseUnavailable) -> Response:
        # Known down (circuit breaker open): answered at once, no log line per request.
        return problem(
            503,
            "The service is temporarily unavailable.",
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(exc: Exception) -> Response:
        # Database down, overloaded or too slow: a retryable 503, not a 500.
        log.warning("database unavailable", extra={"error": type(exc).__name__})
        retry = str(services.db.breaker.retry_after)
        return problem(
            503, "The service is temporarily unavailable.", headers={"Retry-After": retry}
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):  # routed here only for non-error codes
            return problem(exc.code or 500)
        log.exception("unhandled error")
        return problem(500, "Internal error. Quote the request id when reporting it.")

    return app
