"""Everything the benchmark needs to know about services/api, in one place.

Schema (migrations 0001), settings (innovate_api.config), the app factory, the password
hasher and the migration entry point. When the API changes any of them, this file is
the one to follow.
"""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

API_DIR = Path(__file__).resolve().parents[2] / "services" / "api"
API_APP_ARGS = ["innovate_api.app:create_app()"]
READY_PATH = "/healthz"

# Set-based seeding. Emails match run_bench.EMAIL_FMT; notes are spread evenly over the
# users with one-second-apart timestamps so keyset pages look like real ones.
SEED_SQL = (
    """
    INSERT INTO users (email, password_hash, created_at)
    SELECT 'bench' || lpad(n::text, 5, '0') || '@example.com', %(pw_hash)s,
           now() - interval '400 days'
    FROM generate_series(0, %(users)s - 1) AS n
    """,
    """
    INSERT INTO notes (owner_id, title, body, created_at, updated_at)
    SELECT u.id, 'Note ' || n, repeat('Some realistic note text. ', 6), ts, ts
    FROM generate_series(0, %(notes)s - 1) AS n
    JOIN (SELECT id, row_number() OVER (ORDER BY email) - 1 AS k FROM users) AS u
      ON u.k = n %% %(users)s
    CROSS JOIN LATERAL (SELECT now() - n * interval '1 second' AS ts) AS t
    """,
)
COUNT_SQL = "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM notes) AS notes"
USER_IDS_SQL = "SELECT email, id FROM users WHERE email = ANY(%s)"
SAMPLE_NOTES_SQL = """
    SELECT owner_id, id FROM (
        SELECT owner_id, id, row_number() OVER (PARTITION BY owner_id ORDER BY created_at) AS r
        FROM notes WHERE owner_id = ANY(%s::uuid[]) AND deleted_at IS NULL
    ) AS s WHERE r <= %s
"""


def seed_sql() -> tuple[str, ...]:
    return SEED_SQL


def hash_password(password: str) -> str:
    """Hash the way the API does (its own hasher and parameters when it exposes one)."""
    try:
        from innovate_api.auth.passwords import hash_password as api_hash
    except ImportError:
        from argon2 import PasswordHasher

        return PasswordHasher().hash(password)
    return str(api_hash(password))


def api_env(dsn: str) -> dict[str, str]:
    """The API's environment: the throwaway database and a fresh signing key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "JWT_"))}
    env.update(
        DATABASE_URL=dsn,
        DATABASE_SSLMODE="require",
        JWT_SECRET=secrets.token_urlsafe(48),
        LOG_LEVEL="INFO",
    )
    return env


def migrate(env: dict[str, str]) -> None:
    """`alembic upgrade head` with the API's own alembic.ini."""
    alembic = str(Path(sys.executable).with_name("alembic"))
    proc = subprocess.run(  # noqa: S603 - fixed argv
        [alembic, "-c", str(API_DIR / "alembic.ini"), "upgrade", "head"],
        env=env,
        cwd=API_DIR,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed:\n{proc.stdout}{proc.stderr}")


def gunicorn_summary(conf: Path) -> str:
    """workers/threads/worker_class as the API's gunicorn.conf.py resolves them here."""
    cfg = runpy.run_path(str(conf))
    keys = ("workers", "threads", "worker_class")
    return ", ".join(f"{k}={cfg.get(k, 'default')}" for k in keys)
