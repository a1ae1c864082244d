"""Settings from the environment: failures name the variable; TLS is always on."""

from __future__ import annotations

import psycopg
import pytest

from conftest import JWT_SECRET, make_settings
from innovate_api.config import ConfigError, load_settings
from innovate_api.db import Connector, base_conninfo

GOOD = {"DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/db", "JWT_SECRET": JWT_SECRET}


@pytest.fixture
def env(monkeypatch):
    for key in [*GOOD, "DATABASE_SECRET_ID", "DATABASE_SSLROOTCERT", "DATABASE_POOL_MIN"]:
        monkeypatch.delenv(key, raising=False)

    def set_env(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_env


def test_valid_environment(env):
    env(**GOOD)
    settings = load_settings()
    assert settings.effective_sslmode == "require"


@pytest.mark.parametrize(
    ("overrides", "missing", "name"),
    [
        ({}, "JWT_SECRET", "JWT_SECRET"),
        ({}, "DATABASE_URL", "DATABASE_URL"),
        ({"JWT_SECRET": "short"}, None, "JWT_SECRET"),
        ({"DATABASE_URL": "mysql://x"}, None, "DATABASE_URL"),
        ({"DATABASE_POOL_MAX": "zero"}, None, "DATABASE_POOL_MAX"),
        ({"DATABASE_SSLMODE": "disable"}, None, "DATABASE_SSLMODE"),
        ({"DATABASE_SSLROOTCERT": "/nonexistent/ca.pem"}, None, "DATABASE_SSLROOTCERT"),
        ({"DEPLOYMENT_COLOR": "Blue Team!"}, None, "DEPLOYMENT_COLOR"),
        ({"DATABASE_POOL_MIN": "20", "DATABASE_POOL_MAX": "5"}, None, "DATABASE_POOL_MIN"),
    ],
)
def test_invalid_settings_name_the_variable(env, overrides, missing, name):
    values = {k: v for k, v in GOOD.items() if k != missing}
    env(**(values | overrides))
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_secret_values_do_not_leak_in_errors(env):
    env(DATABASE_URL="postgresql://x", JWT_SECRET="tiny-secret")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "tiny-secret" not in str(info.value)


def test_tls_never_disabled_by_the_url():
    settings = make_settings("postgresql://u:p@127.0.0.1/db?sslmode=disable")
    assert "sslmode=require" in base_conninfo(settings)


def test_ca_bundle_switches_to_verify_full_and_connects(pg, dsn):
    settings = make_settings(dsn, database_sslrootcert=pg.ca_file)
    info = base_conninfo(settings)
    assert "sslmode=verify-full" in info
    with Connector(settings).connect() as conn:
        assert conn.info.parameter_status("TimeZone") == "UTC"
        assert conn.execute(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone() == (True,)


def test_verify_full_rejects_a_wrong_hostname(pg, dsn):
    wrong_host = dsn.replace("127.0.0.1", "localhost.invalid-name.test")
    settings = make_settings(
        wrong_host, database_sslrootcert=pg.ca_file, database_connect_timeout=2
    )
    with pytest.raises(psycopg.OperationalError):
        Connector(settings).connect()
