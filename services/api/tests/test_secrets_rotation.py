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
