"""PostgreSQL access: psycopg 3 with a connection pool, TLS always on.

The pool is created closed and opened on first use in each process, so it is safe
with gunicorn's ``preload_app`` (no sockets shared across fork). Credentials are
resolved per new connection: from the URL locally, or from Secrets Manager, re-fetched
once when the server rejects the password (rotation without restart).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from innovate_api.config import Settings
from innovate_api.secrets import SecretsManagerCredentials

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


_SSL_RANK = {"require": 0, "verify-ca": 1, "verify-full": 2}


def _is_auth_failure(exc: psycopg.OperationalError) -> bool:
    if getattr(exc, "sqlstate", None) in ("28P01", "28000"):
        return True
    return "password authentication failed" in str(exc)


def base_conninfo(settings: Settings) -> str:
    """libpq conninfo from the settings, with TLS enforced (password excluded if secret)."""
    params: dict[str, Any] = conninfo_to_dict(settings.database_url)
    # TLS is never optional; a stricter mode given in the URL is kept.
    wanted = settings.effective_sslmode
    if _SSL_RANK.get(str(params.get("sslmode")), -1) < _SSL_RANK[wanted]:
        params["sslmode"] = wanted
    if settings.database_sslrootcert is not None:
        params["sslrootcert"] = str(settings.database_sslrootcert)
    params.setdefault("connect_timeout", str(settings.database_connect_timeout))
    params.setdefault("application_name", "innovate-api")
    if settings.database_statement_timeout_ms:
        params["options"] = (
            f"-c statement_timeout={settings.database_statement_timeout_ms} -c TimeZone=UTC"
        )
    else:
        params["options"] = "-c TimeZone=UTC"
    if settings.database_secret_id:
        params.pop("password", None)
        params.pop("user", None)
    return make_conninfo(**params)


@functools.cache
def _scripts() -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


@functools.cache
def migration_head() -> str | None:
    """The head revision of the migrations shipped with this code (read once)."""
    return cast(str | None, _scripts().get_current_head())


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision the migrations shipped with this code define."""
    return frozenset(script.revision for script in _scripts().walk_revisions())


class Connector:
    """Opens raw connections, resolving credentials and retrying once after rotation."""

    def __init__(self, settings: Settings, secret_client: Any = None) -> None:
        self.conninfo = base_conninfo(settings)
        self.credentials: SecretsManagerCredentials | None = None
        if settings.database_secret_id:
            self.credentials = SecretsManagerCredentials(
                settings.database_secret_id,
                settings.database_secret_cache_seconds,
                client=secret_client,
            )

    def connect(
        self, factory: Callable[..., psycopg.Connection[Any]] | None = None, **kwargs: Any
    ) -> psycopg.Connection[Any]:
        """Open a connection with ``factory`` (default ``psycopg.connect``)."""
        open_ = factory if factory is not None else psycopg.Connection.connect
        if self.credentials is None:
            return open_(self.conninfo, **kwargs)
        creds = self.credentials.get()
        try:
            return open_(self.conninfo, user=creds.username, password=creds.password, **kwargs)
        except psycopg.OperationalError as exc:
            if not _is_auth_failure(exc):
                raise
        # The password was rotated since we cached it: fetch again and retry once.
        creds = self.credentials.refresh()
        return open_(self.conninfo, user=creds.username, password=creds.password, **kwargs)


class DatabaseUnavailable(Exception):
    """The database is known to be down: answered at once (503), without waiting."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the database is unavailable")
        self.retry_after = retry_after


class CircuitBreaker:
    """Fails fast while the database is known to be down.

    Closed (the normal state) costs one attribute read. A connection failure (no pooled
    connection within the timeout, or a connection that broke) opens it: for
    ``probe_interval`` seconds every request is refused at once, so no thread waits
    for the pool timeout. Then exactly one request at a time is let through as a probe
    (with ``probe_timeout`` to get a connection); its success closes the breaker, its
    failure opens it for another interval.
    """

    def __init__(self, probe_interval: float, probe_timeout: float) -> None:
        self.probe_interval = probe_interval
        self.probe_timeout = probe_timeout
        self.retry_after = max(1, math.ceil(probe_interval))
        self._open_until = 0.0  # 0.0: closed
        self._probing = False
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    def admit(self) -> bool:
        """``False``: go ahead (closed); ``True``: go ahead as the probe; else raise."""
        if self._open_until == 0.0:
            return False
        with self._lock:
            if self._open_until == 0.0:
                return False
            if self._probing or time.monotonic() < self._open_until:
                raise DatabaseUnavailable(self.retry_after)
            self._probing = True
            return True

    def failed(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.probe_interval
            self._probing = False

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self._probing = False


class Database:
    """The process-wide pool plus helpers; one per Flask app."""

    def __init__(self, settings: Settings, secret_client: Any = None) -> None:
        self.settings = settings
        self.connector = Connector(settings, secret_client=secret_client)
        self._pool: ConnectionPool[Any] | None = None
        self._lock = threading.Lock()
        self.breaker = CircuitBreaker(
            settings.database_probe_interval,
            min(settings.database_probe_timeout, settings.database_pool_timeout),
        )

    def _make_pool(self) -> ConnectionPool[Any]:
        connector = self.connector

        class _Conn(psycopg.Connection[Any]):
            @classmethod
            def connect(cls, conninfo: str = "", **kwargs: Any) -> _Conn:
                return cast(_Conn, connector.connect(super().connect, **kwargs))

        return ConnectionPool(
            conninfo=self.connector.conninfo,
            connection_class=_Conn,
            # Reads are single statements; writes open explicit transactions. No
            # BEGIN/COMMIT round trips on the hot read paths.
            kwargs={"autocommit": True},
            min_size=self.settings.database_pool_min,
            max_size=self.settings.database_pool_max,
            timeout=self.settings.database_pool_timeout,
            name="innovate-api",
            open=False,
        )

    @property
    def pool(self) -> ConnectionPool[Any]:
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = self._make_pool()
                    # wait=False: start-up does not fail if the database is briefly away.
                    self._pool.open(wait=False)
                pool = self._pool
        return pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled autocommit connection (use ``conn.transaction()`` for multi-statement work).

        getconn/putconn directly: with autocommit there is nothing to commit on exit, and
        the pool rolls back anything left open when the connection comes back.
        """
        breaker = self.breaker
        probe = breaker.admit()  # raises DatabaseUnavailable while the breaker is open
        pool = self.pool
        try:
            conn = pool.getconn(breaker.probe_timeout) if probe else pool.getconn()
        except (PoolTimeout, psycopg.OperationalError):
            breaker.failed()
            raise
        try:
            yield conn
        except psycopg.OperationalError:
            if conn.broken:  # the connection died under us: the server is gone
                breaker.failed()
            elif probe:
                breaker.succeeded()  # e.g. a statement timeout: the server answered
            raise
        except BaseException:
            if probe:
                breaker.succeeded()
            raise
        else:
            if probe:
                breaker.succeeded()
        finally:
            pool.putconn(conn)

    def pool_stats(self) -> dict[str, int]:
        if self._pool is None:
            return {}
        return dict(self._pool.get_stats())

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def known_revisions(self) -> frozenset[str]:
        return known_revisions()

    def migration_state(self) -> tuple[str | None, str | None]:
        """(current revision in the database, head revision of the code)."""
        head = migration_head()
        with self.connection() as conn:
            exists = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
            if exists is None or exists[0] is None:
                return None, head
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return (row[0] if row else None), head
