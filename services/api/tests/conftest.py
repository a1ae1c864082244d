"""Test harness: ONE throwaway PostgreSQL (TLS) per session, a migrated database, and
per-test truncation. Nothing is shared with `make up`; nothing is left running."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from devstack import PostgresCluster
from devstack.testing import throwaway_cluster

from innovate_api.app import create_app
from innovate_api.config import Settings
from innovate_api.db import MIGRATIONS_DIR
from innovate_api.extensions import services_of

APP_USER = "innovate_app"
APP_PASSWORD = "app-password-for-tests"
JWT_SECRET = "test-jwt-secret-" + "x" * 32
PASSWORD = "correct horse battery"

# Cheap argon2 parameters keep the suite fast; production uses the defaults.
FAST_HASH = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 8192,
    "password_hash_parallelism": 1,
}


def alembic_config(dsn: str) -> tuple[Config, sa.Engine]:
    engine = sa.create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=sa.pool.NullPool
    )
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg, engine


def migrate(dsn: str, target: str = "head", *, down: bool = False) -> None:
    cfg, engine = alembic_config(dsn)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if down:
            command.downgrade(cfg, target)
        else:
            command.upgrade(cfg, target)
    engine.dispose()


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresCluster]:
    with throwaway_cluster(prefix="innovate-api-test-") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def new_database(pg: PostgresCluster) -> Callable[[str], str]:
    """Create an extra (empty) database owned by the app role; returns its DSN."""

    def make(name: str) -> str:
        pg.drop_database(name)
        pg.create_database(name, APP_USER, APP_PASSWORD)
        return pg.dsn(name, APP_USER, APP_PASSWORD)

    return make


@pytest.fixture(scope="session")
def dsn(new_database: Callable[[str], str]) -> str:
    url = new_database("innovate_test")
    migrate(url)
    return url


def make_settings(dsn: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": dsn,
        "jwt_secret": JWT_SECRET,
        "database_pool_min": 1,
        "database_pool_max": 4,
        "database_secret_id": None,
        **FAST_HASH,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def settings(dsn: str) -> Settings:
    return make_settings(
        dsn,
        login_max_failures=3,
        login_client_max_failures=10,
        login_lockout_seconds=60,
        # The suite signs in far more often than a person: the in-process limits are
        # tested with their own apps (test_abuse.py).
        auth_client_per_minute=100000,
        auth_global_per_second=100000,
        password_hash_concurrency=8,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    application.testing = True
    yield application
    services_of(application).db.close()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "dsn" in request.fixturenames:
        with psycopg.connect(request.getfixturevalue("dsn"), autocommit=True) as conn:
            conn.execute("TRUNCATE users, notes, revoked_tokens, login_throttle CASCADE")


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def db(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
def make_user(client: Any) -> Callable[..., dict[str, str]]:
    """Register and sign in a fresh user; returns {"email", "token", "Authorization"}."""

    def make(email: str | None = None, password: str = PASSWORD) -> dict[str, str]:
        email = email or f"user-{secrets.token_hex(4)}@example.com"
        r = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert r.status_code == 201, r.get_json()
        r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.get_json()
        token = r.get_json()["access_token"]
        return {"email": email, "token": token, "Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def user(make_user: Callable[..., dict[str, str]]) -> dict[str, str]:
    return make_user()


def bearer(u: dict[str, str]) -> dict[str, str]:
    return {"Authorization": u["Authorization"]}


@pytest.fixture
def log_records() -> Iterator[list[str]]:
    """Every formatted log line emitted during the test (what production would write)."""
    from innovate_api.logs import JsonFormatter, RequestIdFilter, access_log

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    # The access line bypasses logging (written directly): collect what it writes.
    old_write = access_log.write
    access_log.write = lambda line: lines.append(line.decode().rstrip("\n"))
    yield lines
    access_log.write = old_write
    root.removeHandler(handler)
    root.setLevel(old_level)
