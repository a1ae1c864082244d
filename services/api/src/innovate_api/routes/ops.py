"""Operations endpoints: liveness, readiness, metrics, version."""

from __future__ import annotations

import logging
from typing import Any

from apiflask import APIBlueprint
from flask import Response

from innovate_api import __version__, extensions, metrics
from innovate_api.db import DatabaseUnavailable
from innovate_api.errors import problem
from innovate_api.jsonio import json_response
from innovate_api.schemas import StatusOut, VersionOut

bp = APIBlueprint("ops", __name__, tag="Operations")
log = logging.getLogger("innovate_api.ops")


@bp.get("/healthz")
@bp.output(StatusOut, description="The process is alive")
@bp.doc(summary="Liveness")
def healthz() -> Response:
    return json_response({"status": "ok"})


@bp.get("/readyz")
@bp.output(StatusOut, description="Database reachable and schema at the migration head")
@bp.doc(summary="Readiness", responses={503: "Not ready"})
def readyz() -> Response:
    db = extensions.db()
    retry = {"Retry-After": str(db.breaker.retry_after)}
    try:
        current, head = db.migration_state()
    except DatabaseUnavailable:
        return problem(503, "The database is not reachable.", headers=retry)
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness: database unreachable", extra={"error": type(exc).__name__})
        return problem(503, "The database is not reachable.", headers=retry)
    # Ready at our head, and also ahead of it: during a blue/green release the next
    # version's migration Job runs first, and the live pods must keep serving until
    # promotion (migrations are expand-then-contract, so the schema one release ahead
    # still serves this code: docs/api.md). Behind our head, or unmigrated, is not ready.
    if current != head and (current is None or current in db.known_revisions()):
        return problem(503, f"The database schema is at {current}, expected {head}.", headers=retry)
    return json_response({"status": "ready"})


_METRICS_DOC: Any = {200: {"description": "Prometheus text format", "content": {"text/plain": {}}}}


@bp.get("/metrics")
@bp.doc(summary="Prometheus metrics", responses=_METRICS_DOC)
def metrics_endpoint() -> Response:
    metrics.update_pool(extensions.db().pool_stats)
    body, content_type = metrics.render()
    return Response(body, mimetype=content_type.split(";")[0], content_type=content_type)


@bp.get("/api/v1/version")
@bp.output(VersionOut, description="Build and deployment identity")
@bp.doc(summary="Version, git SHA and deployment colour (blue/green)")
def version() -> Response:
    settings = extensions.settings()
    return json_response(
        {"version": __version__, "git_sha": settings.git_sha, "color": settings.deployment_color}
    )
