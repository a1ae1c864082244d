"""`flask db-bootstrap-role` against the real PostgreSQL of the suite: run as an RDS-like
master (CREATEROLE and CREATEDB, not superuser), it gives the app role DML and nothing
more, covers tables the migrations create afterwards, and converges on every run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import psycopg
import pytest
from devstack import PostgresCluster, free_port
from moto.server import ThreadedMotoServer
from psycopg import errors

from conftest import make_settings, migrate
from innovate_api.app import create_app
from innovate_api.cli import db_bootstrap_role
from innovate_api.extensions import services_of

MASTER, MASTER_PASSWORD = "rds_master_test", "master-password-for-tests"
ROLE = "bootstrap_app_test"
DATABASE = "bootstrap_test"
SECRET_ID = "innovate/test/database/bootstrap_app_test"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def secrets(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_endpoint)
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    client.create_secret(Name=SECRET_ID, SecretString=_secret("first-password-0123456789"))
    yield client
    client.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)


def _secret(password: str) -> str:
    # The shape of the app secret the database stack creates (rotation-function JSON).
    return json.dumps(
        {"engine": "postgres", "host": "127.0.0.1", "port": 5432, "dbname": DATABASE,
         "username": ROLE, "password": password}
    )  # fmt: skip


@pytest.fixture
def master_dsn(pg: PostgresCluster) -> Iterator[str]:
    """A database owned by a non-superuser master, as RDS creates it."""
    with psycopg.connect(pg.superuser_dsn(), autocommit=True) as conn:
        _drop(conn)
        conn.execute(f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{MASTER_PASSWORD}'")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {MASTER}")
    yield pg.dsn(DATABASE, MASTER, MASTER_PASSWORD)
    with psycopg.connect(pg.superuser_dsn(), autocommit=True) as conn:
        _drop(conn)


def _drop(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    for role in (ROLE, MASTER, "extra_powers_test"):
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def _bootstrap(master_dsn: str, *args: str) -> Any:
    app = create_app(make_settings(master_dsn, database_pool_min=0))
    try:
        return app.test_cli_runner().invoke(
            db_bootstrap_role, ["--app-secret-id", SECRET_ID, *args]
        )
    finally:
        services_of(app).db.close()


def _as_app(pg: PostgresCluster, password: str) -> psycopg.Connection[Any]:
    return psycopg.connect(pg.dsn(DATABASE, ROLE, password), autocommit=True)


def _refused(conn: psycopg.Connection[Any], statement: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_role_gets_dml_on_tables_migrated_later_and_nothing_more(
    pg: PostgresCluster, master_dsn: str, secrets: Any
) -> None:
    result = _bootstrap(master_dsn)
    assert result.exit_code == 0, result.output
    assert f"role {ROLE} created" in result.output
    migrate(master_dsn)  # the pipeline migrates after the bootstrap, as the master

    with _as_app(pg, "first-password-0123456789") as app:
        user = app.execute(
            "INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x') RETURNING id"
        ).fetchone()
        assert user is not None
        app.execute("INSERT INTO notes (owner_id, title) VALUES (%s, 't')", (user[0],))
        app.execute("UPDATE notes SET title = 'u'")
        assert app.execute("SELECT title FROM notes").fetchall() == [("u",)]
        app.execute("DELETE FROM notes")
        _refused(app, "CREATE TABLE sneaky (id int)")
        _refused(app, "ALTER TABLE users ADD COLUMN sneaky int")
        _refused(app, "DROP TABLE notes")
        _refused(app, "TRUNCATE users")
        _refused(app, "CREATE ROLE sneaky")
        _refused(app, "CREATE DATABASE sneaky")
        attributes = app.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
            "rolcanlogin FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert attributes == (False, False, False, False, False, True)


def test_a_second_run_converges_and_takes_the_current_password(
    pg: PostgresCluster, master_dsn: str, secrets: Any
) -> None:
    assert _bootstrap(master_dsn).exit_code == 0
    with psycopg.connect(pg.superuser_dsn(), autocommit=True) as conn:
        # Drift: someone gave the role a membership and schema CREATE by hand.
        conn.execute("CREATE ROLE extra_powers_test NOLOGIN")
        conn.execute(f"GRANT extra_powers_test TO {ROLE}")
    with psycopg.connect(master_dsn, autocommit=True) as conn:
        conn.execute(f"GRANT CREATE ON SCHEMA public TO {ROLE}")
    secrets.put_secret_value(SecretId=SECRET_ID, SecretString=_secret("second-password-987654"))

    result = _bootstrap(master_dsn)
    assert result.exit_code == 0, result.output
    assert f"role {ROLE} updated" in result.output
    assert "revoked memberships ['extra_powers_test']" in result.output
    with pytest.raises(psycopg.OperationalError):
        _as_app(pg, "first-password-0123456789").close()
    with _as_app(pg, "second-password-987654") as app:
        _refused(app, "CREATE TABLE sneaky (id int)")
        assert app.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member "
            "WHERE u.rolname = current_user"
        ).fetchone() == (0,)
    assert _bootstrap(master_dsn).exit_code == 0  # and again: nothing left to change


def test_the_password_is_stored_as_a_scram_verifier(
    pg: PostgresCluster, master_dsn: str, secrets: Any
) -> None:
    assert _bootstrap(master_dsn).exit_code == 0
    with psycopg.connect(pg.superuser_dsn(), autocommit=True) as conn:
        row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (ROLE,))
        stored = row.fetchone()
    assert stored is not None
    assert str(stored[0]).startswith("SCRAM-SHA-256$")


def test_an_unknown_schema_is_refused_by_name(
    pg: PostgresCluster, master_dsn: str, secrets: Any
) -> None:
    result = _bootstrap(master_dsn, "--schema", "nope")
    assert result.exit_code != 0
    assert "schema 'nope' does not exist" in result.output


def test_powers_only_a_superuser_could_grant_stop_the_job(
    pg: PostgresCluster, master_dsn: str, secrets: Any
) -> None:
    assert _bootstrap(master_dsn).exit_code == 0
    with psycopg.connect(pg.superuser_dsn(), autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {ROLE} REPLICATION")
    result = _bootstrap(master_dsn)
    assert result.exit_code != 0
    assert "has SUPERUSER, REPLICATION or BYPASSRLS" in result.output
