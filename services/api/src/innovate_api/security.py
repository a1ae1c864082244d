"""Passwords (argon2id), access tokens (HS256 JWT) and the Bearer auth of the API.

Verifying a token costs one HMAC (and is cached per process until the token expires);
revocation is checked in the same database round trip as the request's own query, so
sign out holds across pods without an extra round trip:

* ``authed_read`` adds the revocation flag to a SELECT (one statement when it finds rows);
* ``authed_write`` runs a write guarded by ``NOT_REVOKED`` (one autocommit statement: the
  check and the write are atomic, so a revoked token can never write).
"""

from __future__ import annotations

import functools
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar, cast

import jwt
import psycopg
from apiflask import abort
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request

from innovate_api.config import Settings

BEARER_SCHEME = {
    "BearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from POST /api/v1/auth/login",
    }
}
_F = TypeVar("_F", bound=Callable[..., Any])


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
    cache_size = 4096

    def __init__(self, settings: Settings) -> None:
        self._key = settings.jwt_secret.get_secret_value()
        self.ttl = settings.jwt_ttl_seconds
        self.issuer = settings.jwt_issuer
        # Signature checks are pure functions of the token: cache the verified ones.
        # Revocation is not cached (checked in the database on every request).
        self._cache: dict[str, Principal] = {}

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
        cached = self._cache.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                return cached
            self._cache.pop(token, None)
        principal = self._decode(token)
        if principal is not None:
            if len(self._cache) >= self.cache_size:
                self._cache.clear()  # crude but bounded; refilled by live tokens
            self._cache[token] = principal
        return principal

    def _decode(self, token: str) -> Principal | None:
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


def auth_required(view: _F) -> _F:
    """Require a valid Bearer token (a lean check: header parse + cached HMAC verify).

    Documented in OpenAPI through ``security="BearerAuth"`` on the view's ``doc``.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 2048:
            abort(401)
        tokens: Tokens = current_app.extensions["innovate.tokens"]
        found = tokens.verify(token)
        if found is None:
            abort(401)
        g.principal = found
        return view(*args, **kwargs)

    return cast(_F, wrapper)


def principal() -> Principal:
    value: Principal = g.principal
    return value


_REVOKED_SQL = "SELECT 1 FROM revoked_tokens WHERE jti = %s"
_REVOKED_COLUMN = "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s), "


def reject_revoked() -> NoReturn:
    abort(401, "The access token has been revoked.")


def authed_read(conn: psycopg.Connection[Any], query: str, params: Sequence[Any]) -> list[Any]:
    """Rows of the SELECT ``query``, checked against revocation in the same statement.

    ``query`` is a constant SQL string (never user text) starting with ``SELECT``; the
    revocation flag is added as a leading column (an InitPlan, evaluated once). Only an
    empty result needs a second, tiny query to tell "revoked" from "nothing there".
    """
    if not query.startswith("SELECT "):
        raise ValueError("authed_read takes a SELECT statement")
    jti = principal().jti
    rows = conn.execute(_REVOKED_COLUMN + query[7:], (jti, *params)).fetchall()
    if rows:
        if rows[0][0]:
            reject_revoked()
        return [row[1:] for row in rows]
    if conn.execute(_REVOKED_SQL, (jti,)).fetchone() is not None:
        reject_revoked()
    return []


NOT_REVOKED = "NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s)"
"""The guard every authenticated write carries in its own WHERE clause (the ``%s`` is the
token's jti, passed by the caller at that position in the parameters)."""


def authed_write(
    conn: psycopg.Connection[Any], query: str, params: Sequence[Any]
) -> tuple[Any, ...] | None:
    """The first row RETURNING by the write ``query``, which must contain ``NOT_REVOKED``.

    One autocommit statement: the revocation check and the write are atomic (a revoked
    token writes nothing). ``None`` means no row matched; only then does a second, tiny
    query tell "revoked" (401, raised here) from "nothing there" (the caller's 404).
    """
    if NOT_REVOKED not in query or "RETURNING " not in query:
        raise ValueError("authed_write takes a write guarded by NOT_REVOKED, with RETURNING")
    row: tuple[Any, ...] | None = conn.execute(query, params).fetchone()
    if row is not None:
        return row
    if conn.execute(_REVOKED_SQL, (principal().jti,)).fetchone() is not None:
        reject_revoked()
    return None
