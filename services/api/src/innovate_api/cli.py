"""Flask CLI commands (run by Kubernetes Jobs/CronJobs with the API's environment)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
import psycopg
from flask.cli import with_appcontext

from innovate_api import extensions
from innovate_api.db import Database
from innovate_api.repositories import notes, revocations, throttle
from innovate_api.roles import bootstrap_app_role
from innovate_api.secrets import SecretsManagerCredentials

_BATCH = 1000


def _purge_batches(db: Database, delete_batch: Callable[[psycopg.Connection[Any]], int]) -> int:
    """Delete in batches so a large purge never holds long locks."""
    total = 0
    while True:
        with db.connection() as conn:
            deleted = delete_batch(conn)
        total += max(deleted, 0)
        if deleted < _BATCH:
            return total


@click.command("purge-deleted")
@click.option("--retention-days", type=int, default=None, help="Override NOTE_RETENTION_DAYS.")
@with_appcontext
def purge_deleted(retention_days: int | None) -> None:
    """Remove soft-deleted notes past retention, expired revocations and stale throttles."""
    settings = extensions.settings()
    db = extensions.db()
    days = settings.note_retention_days if retention_days is None else retention_days
    if days < 0:
        raise click.BadParameter("must be >= 0", param_hint="--retention-days")
    purged_notes = _purge_batches(db, lambda conn: notes.purge_deleted(conn, days, _BATCH))
    tokens = _purge_batches(db, lambda conn: revocations.purge_expired(conn, _BATCH))
    throttles = _purge_batches(
        db, lambda conn: throttle.purge_stale(conn, settings.login_lockout_seconds, _BATCH)
    )
    click.echo(
        f"purged {purged_notes} notes (deleted > {days} days ago), {tokens} expired token "
        f"revocations, {throttles} stale sign-in throttles"
    )


@click.command("db-bootstrap-role")
@click.option(
    "--app-secret-id",
    required=True,
    help="Secrets Manager id of the app's secret (its username and password are used).",
)
@click.option("--schema", default="public", show_default=True, help="The application schema.")
@with_appcontext
def db_bootstrap_role(app_secret_id: str, schema: str) -> None:
    """Create or update the application's least-privilege role (run as the master user).

    One-shot job before the migrations: DATABASE_SECRET_ID is the RDS-managed master
    secret; the role's name and password come from --app-secret-id. Idempotent.
    """
    db = extensions.db()
    app_credentials = SecretsManagerCredentials(app_secret_id, cache_seconds=0).get()
    with db.connector.connect(autocommit=True) as conn:
        try:
            result = bootstrap_app_role(
                conn,
                role=app_credentials.username,
                password=app_credentials.password,
                schema=schema,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    verb = "created" if result.created else "updated"
    revoked = (
        f"; revoked memberships {result.revoked_memberships}" if result.revoked_memberships else ""
    )
    click.echo(
        f"role {result.role} {verb}: LOGIN only, CONNECT, USAGE and DML on schema {schema}{revoked}"
    )
