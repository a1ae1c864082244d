"""Alembic: up to head, down to base, up again; on an empty database and with data."""

from __future__ import annotations

import psycopg
from alembic.script import ScriptDirectory

from conftest import alembic_config, migrate
from innovate_api.db import migration_head

TABLES = {"users", "notes", "revoked_tokens", "login_throttle"}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows} - {"alembic_version"}


def _revisions(dsn: str) -> list[str]:
    cfg, _ = alembic_config(dsn)
    script = ScriptDirectory.from_config(cfg)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_single_head_matches_code(new_database):
    dsn = new_database("mig_head")
    cfg, _ = alembic_config(dsn)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    assert migration_head() == _revisions(dsn)[-1]


def test_up_down_up_on_empty_database(new_database):
    dsn = new_database("mig_empty")
    migrate(dsn)
    assert _tables(dsn) == TABLES
    migrate(dsn, "base", down=True)
    assert _tables(dsn) == set()
    migrate(dsn)
    assert _tables(dsn) == TABLES


def test_upgrade_step_by_step_keeps_data(new_database):
    dsn = new_database("mig_data")
    revisions = _revisions(dsn)
    migrate(dsn, revisions[0])
    with psycopg.connect(dsn) as conn:
        user_id = conn.execute(
            "INSERT INTO users (email, password_hash) VALUES ('d@example.com', 'h') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO notes (owner_id, title, body) VALUES (%s, 'kept', 'body')", (user_id,)
        )
    for revision in revisions[1:]:
        migrate(dsn, revision)
    migrate(dsn)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT email FROM users").fetchall() == [("d@example.com",)]
        assert conn.execute("SELECT title, body FROM notes").fetchall() == [("kept", "body")]
    # Downgrading a populated database to base and back also works cleanly.
    migrate(dsn, "base", down=True)
    migrate(dsn)
    assert _tables(dsn) == TABLES
