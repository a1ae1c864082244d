"""Database credentials and the token signing key: from the environment locally, from
Secrets Manager in AWS.

The RDS-managed secret is JSON ``{"username": ..., "password": ..., ...}``. It is
fetched once and cached; when PostgreSQL rejects the password (rotation happened),
``refresh()`` fetches it again, so rotation never needs a restart.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never leak the password into logs or tracebacks
        return f"Credentials(username={self.username!r}, password='***')"


def secrets_manager_client(client: Any = None) -> Any:
    if client is not None:
        return client
    import os

    import boto3  # imported lazily: local runs never need it

    # boto3 honours AWS_DEFAULT_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER;
    # AWS_REGION (set on EKS pods) is passed explicitly for older botocore.
    return boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION") or None)


def read_secret_string(secret_id: str, client: Any = None) -> str:
    """The current value of a plain-string secret (the token signing key)."""
    response = secrets_manager_client(client).get_secret_value(SecretId=secret_id)
    value = response.get("SecretString")
    if not isinstance(value, str):
        raise ValueError(f"secret {secret_id} has no SecretString")
    return value


class SecretsManagerCredentials:
    """Thread-safe cache of one Secrets Manager secret."""

    # Do not hammer Secrets Manager when many connections fail at once.
    min_refresh_interval = 1.0

    def __init__(self, secret_id: str, cache_seconds: int, client: Any = None) -> None:
        self.secret_id = secret_id
        self.cache_seconds = cache_seconds
        self._client = client
        self._lock = threading.Lock()
        self._cached: Credentials | None = None
        self._fetched_at = 0.0
        self.fetch_count = 0

    def _get_client(self) -> Any:
        if self._client is None:
            self._client = secrets_manager_client()
        return self._client

    def _fetch(self) -> Credentials:
        response = self._get_client().get_secret_value(SecretId=self.secret_id)
        data = json.loads(response["SecretString"])
        self.fetch_count += 1
        self._fetched_at = time.monotonic()
        return Credentials(username=str(data["username"]), password=str(data["password"]))

    def get(self) -> Credentials:
        with self._lock:
            expired = (
                self.cache_seconds > 0 and time.monotonic() - self._fetched_at > self.cache_seconds
            )
            if self._cached is None or expired:
                self._cached = self._fetch()
            return self._cached

    def refresh(self) -> Credentials:
        with self._lock:
            if (
                self._cached is None
                or time.monotonic() - self._fetched_at >= self.min_refresh_interval
            ):
                self._cached = self._fetch()
            return self._cached
