"""Passwords (argon2id), access tokens (HS256 JWT) and the Bearer auth of the API.

Verifying a token costs one HMAC; revocation is checked in the same database round
trip as the request's own query (``authed_execute``, psycopg pipeline mode), so sign
out holds across pods without an extra round trip.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import psycopg
from apiflask import HTTPTokenAuth, abort
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g

from innovate_api.config import Settings

auth = HTTPTokenAuth(scheme="Bearer", description="Access token from POST /api/v1/auth/login")


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    jti: uuid.UUID
    expires_at: int


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )
        # Verified against when the account does not exist, so timing does not tell.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)


class Tokens:
    algorithm = "HS256"

    def __init__(self, settings: Settings) -> None:
        self._key = settings.jwt_secret.get_secret_value()
        self.ttl = settings.jwt_ttl_seconds
        self.issuer = settings.jwt_issuer

    def issue(self, user_id: uuid.UUID) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + self.ttl,
            "iss": self.issuer,
        }
        return jwt.encode(claims, self._key, algorithm=self.algorithm)

    def verify(self, token: str) -> Principal | None:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                options={"require": ["sub", "jti", "iat", "exp", "iss"]},
            )
            return Principal(uuid.UUID(claims["sub"]), uuid.UUID(claims["jti"]), int(claims["exp"]))
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            return None


def _verify_token(token: str) -> Principal | None:
    if not token or len(token) > 2048:
        return None
    tokens: Tokens = current_app.extensions["innovate.tokens"]
    principal = tokens.verify(token)
    if principal is not None:
        g.principal = principal
    return principal


auth.verify_token(_verify_token)


def principal() -> Principal:
    value: Principal = g.principal
    return value


_REVOKED_SQL = "SELECT 1 FROM revoked_tokens WHERE jti = %s"


def authed_execute(
    conn: psycopg.Connection[Any], query: str, params: Any = None
) -> psycopg.Cursor[Any]:
    """Run ``query`` together with the revocation check in one round trip.

    Raises 401 (and the surrounding transaction rolls back) if the token was revoked.
    """
    with conn.pipeline():
        revoked = conn.execute(_REVOKED_SQL, (principal().jti,))
        cursor = conn.execute(query, params)
    if revoked.fetchone() is not None:
        abort(401, "The access token has been revoked.")
    return cursor


def revoke(conn: psycopg.Connection[Any], who: Principal) -> None:
    conn.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (who.jti, dt.datetime.fromtimestamp(who.expires_at, dt.UTC)),
    )
