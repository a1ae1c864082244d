"""Credentials from Secrets Manager (moto server over HTTP) and a real password rotation."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import boto3
import pytest
from devstack import free_port
from moto.server import ThreadedMotoServer

from conftest import APP_PASSWORD, APP_USER, bearer, make_settings
from innovate_api.app import create_app
from innovate_api.config import ConfigError
from innovate_api.extensions import services_of
from innovate_api.secrets import Credentials

SECRET_ID = "rds!db-innovate-test"


@pytest.fixture(scope="module")
def moto_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def sm(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_endpoint)
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    client.create_secret(
        Name=SECRET_ID,
        SecretString=json.dumps(
            {"username": APP_USER, "password": APP_PASSWORD, "engine": "postgres", "port": 5432}
        ),
    )
    yield client
    client.delete_secret(SecretId=SECRET_ID, ForceDeleteWithoutRecovery=True)


def _url_without_credentials(dsn: str) -> str:
    parts = urlsplit(dsn)
    return f"postgresql://{parts.hostname}:{parts.port}{parts.path}?{parts.query}"


def test_credentials_repr_hides_password():
    assert "hunter2" not in repr(Credentials("u", "hunter2"))


def test_rotation_without_restart(sm, pg, dsn, make_user):
    settings = make_settings(
        _url_without_credentials(dsn),
        database_secret_id=SECRET_ID,
        database_pool_min=0,
        database_pool_max=2,
    )
    app = create_app(settings)  # boto3 client built from the environment (moto over HTTP)
    db = services_of(app).db
    client = app.test_client()
    try:
        r = client.post(
            "/api/v1/auth/register", json={"email": "rot@example.com", "password": "x" * 14}
        )
        assert r.status_code == 201
        assert db.connector.credentials.fetch_count == 1
        db.close()  # new connections from here on
        assert client.get("/readyz").status_code == 200
        assert db.connector.credentials.fetch_count == 1  # cached, not fetched per connection

        # Rotation: the database password changes, then the secret (as RDS does).
        new_password = "rotated-" + APP_PASSWORD
        pg.set_password(APP_USER, new_password)
        sm.put_secret_value(
            SecretId=SECRET_ID,
            SecretString=json.dumps({"username": APP_USER, "password": new_password}),
        )
        db.close()  # drop pooled connections so the next one must authenticate again
        r = client.post(
            "/api/v1/auth/login", json={"email": "rot@example.com", "password": "x" * 14}
        )
        assert r.status_code == 200, r.get_json()
        assert db.connector.credentials.fetch_count == 2  # re-fetched once on rejection
        assert (
            client.get(
                "/api/v1/me",
                headers=bearer({"Authorization": "Bearer " + r.get_json()["access_token"]}),
            ).status_code
            == 200
        )
    finally:
        db.close()
        pg.set_password(APP_USER, APP_PASSWORD)


JWT_SECRET_ID = "innovate/test/jwt-signing-key"


def test_signing_key_from_secrets_manager(sm, dsn):
    sm.create_secret(Name=JWT_SECRET_ID, SecretString="k" * 48)
    try:
        settings = make_settings(dsn, jwt_secret=None, jwt_secret_id=JWT_SECRET_ID)
        app = create_app(settings)
        try:
            client = app.test_client()
            client.post(
                "/api/v1/auth/register", json={"email": "key@example.com", "password": "x" * 14}
            )
            r = client.post(
                "/api/v1/auth/login", json={"email": "key@example.com", "password": "x" * 14}
            )
            assert r.status_code == 200, r.get_data(as_text=True)
            token = r.get_json()["access_token"]
            assert (
                client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
                == 200
            )
            # Signed with the secret's key: a process with another key refuses it.
            other = create_app(make_settings(dsn, jwt_secret="o" * 40))
            try:
                assert (
                    other.test_client()
                    .get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
                    .status_code
                    == 401
                )
            finally:
                services_of(other).db.close()
        finally:
            services_of(app).db.close()
    finally:
        sm.delete_secret(SecretId=JWT_SECRET_ID, ForceDeleteWithoutRecovery=True)


def test_weak_signing_key_in_secrets_manager_fails_start_up(sm, dsn):
    sm.create_secret(Name=JWT_SECRET_ID, SecretString="short")
    try:
        with pytest.raises(
            ConfigError,
            match=r"JWT_SECRET_ID \(innovate/test/jwt-signing-key\): must be at least 32",
        ):
            create_app(make_settings(dsn, jwt_secret=None, jwt_secret_id=JWT_SECRET_ID))
    finally:
        sm.delete_secret(SecretId=JWT_SECRET_ID, ForceDeleteWithoutRecovery=True)


@pytest.mark.parametrize("values", [{"jwt_secret": None}, {"jwt_secret_id": JWT_SECRET_ID}])
def test_exactly_one_signing_key_source(values):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exactly one of JWT_SECRET and JWT_SECRET_ID"):
        make_settings("postgresql://u@127.0.0.1:1/db", **values)
