"""Passwords (argon2id), access tokens (HS256 JWT) and the Bearer auth of the API.

Verifying a token costs one HMAC (and is cached per process until the token expires);
revocation is checked in the same database round trip as the request's own query by the
repositories (``repositories.revocations``), so sign-out holds across pods.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from innovate_api.config import ConfigError, Settings, check_signing_key
from innovate_api.secrets import read_secret_string

_T = TypeVar("_T")

BEARER_SCHEME = {
    "BearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Access token from POST /api/v1/auth/login",
    }
}


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    jti: uuid.UUID
    expires_at: int


class HashingBusy(Exception):
    """Every password-hashing slot of this worker is taken: answered 503 + Retry-After."""

    retry_after = 1


def _lower_priority(increment: int) -> None:
    """Run this (hashing) thread ``increment`` nice levels below the server (capped at
    19): relative, so it still yields when the whole server already runs niced. On Linux
    the nice value is per thread and inherited by the threads argon2 starts for its
    lanes, so a flood of sign-ins yields the CPU to authenticated requests instead of
    starving them."""
    with contextlib.suppress(OSError, AttributeError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + increment))


class Passwords:
    """argon2id, with at most ``password_hash_concurrency`` hashes in flight per worker.

    Hashes run on a small, low-priority thread pool (created lazily in each process, so
    it is fork-safe); ``admission()`` reserves a slot without waiting and raises
    ``HashingBusy`` when all are taken, so a flood never queues CPU-bound work.
    """

    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )
        self.concurrency = settings.password_hash_concurrency
        self.nice = settings.password_hash_nice
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_pid = -1
        self._lock = threading.Lock()
        # Verified against when the account does not exist, so timing does not tell.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    @contextlib.contextmanager
    def admission(self) -> Iterator[None]:
        """Reserve one hashing slot for the block (``HashingBusy`` if none is free)."""
        if not self._slots.acquire(blocking=False):
            raise HashingBusy
        try:
            yield
        finally:
            self._slots.release()

    def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        pid = os.getpid()
        if self._executor is None or self._executor_pid != pid:
            with self._lock:
                if self._executor is None or self._executor_pid != pid:
                    self._executor = ThreadPoolExecutor(
                        max_workers=self.concurrency,
                        thread_name_prefix="argon2",
                        initializer=_lower_priority,
                        initargs=(self.nice,),
                    )
                    self._executor_pid = pid
        return self._executor.submit(fn, *args).result()

    def hash(self, password: str) -> str:
        return self._run(self.hasher.hash, password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        return self._run(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)


def signing_key(settings: Settings, secret_client: Any = None) -> str:
    """JWT_SECRET, or the Secrets Manager secret JWT_SECRET_ID names (read once: a new
    key signs out every session, so it changes by a deliberate restart, not a poll)."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    secret_id = settings.jwt_secret_id or ""  # Settings guarantees one of the two
    try:
        return check_signing_key(read_secret_string(secret_id, secret_client))
    except ValueError as exc:
        raise ConfigError(f"JWT_SECRET_ID ({secret_id}): {exc}") from None


class Tokens:
    algorithm = "HS256"
    cache_size = 4096

    def __init__(self, settings: Settings, secret_client: Any = None) -> None:
        self._key = signing_key(settings, secret_client)
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
