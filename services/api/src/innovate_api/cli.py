"""Flask CLI commands (run by Kubernetes Jobs/CronJobs with the API's environment)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from innovate_api.db import Database

_BATCH = 1000


def _purge_batches(db: Database, query: str, params: tuple[object, ...]) -> int:
    """Delete in batches so a large purge never holds long locks."""
    total = 0
    while True:
        with db.connection() as conn:
            deleted = conn.execute(query, params).rowcount
        total += max(deleted, 0)
        if deleted < _BATCH:
            return total


@click.command("purge-deleted")
@click.option("--retention-days", type=int, default=None, help="Override NOTE_RETENTION_DAYS.")
@with_appcontext
def purge_deleted(retention_days: int | None) -> None:
    """Remove soft-deleted notes past retention, expired revocations and stale throttles."""
    settings = current_app.config["SETTINGS"]
    db: Database = current_app.extensions["innovate.db"]
    days = settings.note_retention_days if retention_days is None else retention_days
    if days < 0:
        raise click.BadParameter("must be >= 0", param_hint="--retention-days")
    notes = _purge_batches(
        db,
        "DELETE FROM notes WHERE id IN (SELECT id FROM notes WHERE deleted_at IS NOT NULL "
        "AND deleted_at < now() - %s * interval '1 day' LIMIT %s)",
        (days, _BATCH),
    )
    tokens = _purge_batches(
        db,
        "DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens "
        "WHERE expires_at < now() LIMIT %s)",
        (_BATCH,),
    )
    throttles = _purge_batches(
        db,
        "DELETE FROM login_throttle WHERE email IN (SELECT email FROM login_throttle "
        "WHERE (locked_until IS NULL OR locked_until < now()) "
        "AND last_failure_at < now() - %s * interval '1 second' LIMIT %s)",
        (settings.login_lockout_seconds, _BATCH),
    )
    click.echo(
        f"purged {notes} notes (deleted > {days} days ago), {tokens} expired token "
        f"revocations, {throttles} stale sign-in throttles"
    )
