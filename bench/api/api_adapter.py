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
# Empty: gunicorn.conf.py names the app (wsgi_app), exactly as in production.
API_APP_ARGS: list[str] = []
# Readiness: database reachable over TLS and the schema at the migration head.
READY_PATH = "/readyz"

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


def hash_password(password: str, env: dict[str, str]) -> str:
    """Hash with the API's own hasher and its configured argon2 parameters, so a
    sign-in costs what it costs in the API (and no rehash-on-login kicks in)."""
    try:
        from innovate_api.config import Settings
        from innovate_api.security import Passwords
    except ImportError:  # an older/newer API layout: argon2-cffi's defaults
        from argon2 import PasswordHasher

        return PasswordHasher().hash(password)
    settings = Settings(database_url=env["DATABASE_URL"], jwt_secret=env["JWT_SECRET"])
    return Passwords(settings).hash(password)


def api_env(dsn: str, tmp: Path) -> dict[str, str]:
    """The API's environment: the throwaway database, a fresh signing key, production
    log level, and its Prometheus multiprocess dir inside our temp dir (removed at exit).
    GUNICORN_* variables pass through, so both servers follow the same overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "JWT_"))}
    env.update(
        DATABASE_URL=dsn,
        DATABASE_SSLMODE="require",
        JWT_SECRET=secrets.token_urlsafe(48),
        LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics-api"),
        # The paired scenarios compare throughput with a reference that has no abuse
        # limits: lift the API's (sign-in from one address, argon2 slots) for them.
        # The signin_flood scenario runs a second API with the production defaults.
        AUTH_CLIENT_PER_MINUTE="1000000",
        AUTH_GLOBAL_PER_SECOND="1000000",
        LOGIN_CLIENT_MAX_FAILURES="10000",
        PASSWORD_HASH_CONCURRENCY=os.environ.get("GUNICORN_THREADS", "4"),
    )
    return env


# Variables api_env lifts for the paired scenarios; the flood API keeps the defaults.
LIFTED_LIMITS = (
    "AUTH_CLIENT_PER_MINUTE",
    "AUTH_GLOBAL_PER_SECOND",
    "LOGIN_CLIENT_MAX_FAILURES",
    "PASSWORD_HASH_CONCURRENCY",
)


def flood_env(env: dict[str, str], tmp: Path) -> dict[str, str]:
    """The API with its production limits, behind a 'proxy' on 127.0.0.1 so the flood's
    X-Forwarded-For names many distinct clients (the worst case for per-client limits)."""
    out = {k: v for k, v in env.items() if k not in LIFTED_LIMITS}
    out.update(TRUSTED_PROXIES="127.0.0.1/32", PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics-flood"))
    return out


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


def gunicorn_summary(conf: Path, env: dict[str, str]) -> str:
    """workers/threads/worker_class as the API's gunicorn.conf.py resolves them here."""
    saved = dict(os.environ)
    os.environ.update(env)  # the config reads GUNICORN_* and PROMETHEUS_MULTIPROC_DIR
    try:
        cfg = runpy.run_path(str(conf))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    keys = ("workers", "threads", "worker_class")
    return ", ".join(f"{k}={cfg.get(k, 'default')}" for k in keys)
