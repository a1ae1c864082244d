"""Settings from the environment (pydantic-settings).

Every variable is documented in docs/api.md. Invalid or missing settings raise
``ConfigError`` at start-up with the variable names, never later at request time.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from innovate_api.clientaddr import parse_networks


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a valid configuration."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    # Database. With DATABASE_SECRET_ID set, user and password come from that
    # Secrets Manager secret (RDS-managed JSON) and override any in the URL.
    database_url: str = Field(min_length=1)
    database_secret_id: str | None = None
    database_sslmode: Literal["require", "verify-ca", "verify-full"] = "require"
    # A CA bundle (e.g. the RDS CA) switches the connection to sslmode=verify-full.
    database_sslrootcert: Path | None = None
    # Per worker process; each gunicorn thread uses one connection at a time (gunicorn.conf.py
    # sizes the pool to the threads), the pool grows on demand.
    database_pool_min: int = Field(default=1, ge=0, le=100)
    database_pool_max: int = Field(default=10, ge=1, le=200)
    database_pool_timeout: float = Field(default=5.0, gt=0, le=60)
    database_connect_timeout: int = Field(default=5, ge=1, le=60)
    database_statement_timeout_ms: int = Field(default=5000, ge=0)
    # Circuit breaker: while the database is down, requests fail at once (503) and one
    # probe per interval (waiting at most the probe timeout for a connection) checks it.
    database_probe_interval: float = Field(default=1.0, gt=0, le=60)
    database_probe_timeout: float = Field(default=1.0, gt=0, le=60)
    database_secret_cache_seconds: int = Field(default=3600, ge=0)

    # The token signing key: JWT_SECRET itself (local runs), or JWT_SECRET_ID, a Secrets
    # Manager secret read once at start-up (the cloud: the key never sits in Kubernetes).
    jwt_secret: SecretStr | None = None
    jwt_secret_id: str | None = Field(default=None, min_length=1)
    jwt_ttl_seconds: int = Field(default=900, ge=30, le=86400)
    jwt_issuer: str = "innovate-api"

    max_content_length: int = Field(default=65536, ge=1024, le=10 * 1024 * 1024)
    note_retention_days: int = Field(default=30, ge=0, le=3650)

    # Sign-in throttle (in the database): attempts per (account, client) and per client
    # within the window; past them each attempt doubles the wait (1 s, 2 s, ... at most
    # the window). The owner signing in from another client is not affected.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_client_max_failures: int = Field(default=30, ge=1, le=10000)
    login_lockout_seconds: int = Field(default=900, ge=1, le=86400)
    # In-process limits on sign-in + registration, per worker (429 + Retry-After).
    auth_client_per_minute: int = Field(default=20, ge=1, le=1_000_000)
    auth_global_per_second: float = Field(default=5.0, gt=0, le=1_000_000)
    # argon2 hashes in flight per worker; more are answered 503 + Retry-After.
    password_hash_concurrency: int = Field(default=1, ge=1, le=64)
    # Hashing threads run this many nice levels below the server (Linux; capped at 19):
    # sign-in floods yield the CPU.
    password_hash_nice: int = Field(default=10, ge=0, le=19)
    # Client addresses: X-Forwarded-For is believed only from these peers (CIDRs).
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    # argon2id cost; defaults are RFC 9106's second recommended option (64 MiB, t=3).
    password_hash_time_cost: int = Field(default=3, ge=1, le=10)
    password_hash_memory_kib: int = Field(default=65536, ge=8192, le=1048576)
    password_hash_parallelism: int = Field(default=4, ge=1, le=16)

    deployment_color: str = Field(default="none", pattern=r"^[a-z0-9-]{1,32}$")
    git_sha: str = Field(default="unknown", pattern=r"^[0-9A-Za-z._-]{1,64}$")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        return parse_networks(value) if isinstance(value, str) else value

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_signing_key(value.get_secret_value())
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URI")
        return value

    @field_validator("database_sslrootcert")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"CA bundle {value} does not exist")
        return value

    @model_validator(mode="after")
    def _pool_bounds(self) -> Settings:
        if self.database_pool_min > self.database_pool_max:
            raise ValueError("DATABASE_POOL_MIN must not exceed DATABASE_POOL_MAX")
        if (self.jwt_secret is None) == (self.jwt_secret_id is None):
            raise ValueError("set exactly one of JWT_SECRET and JWT_SECRET_ID")
        return self

    @property
    def effective_sslmode(self) -> str:
        return "verify-full" if self.database_sslrootcert else self.database_sslmode


def check_signing_key(key: str) -> str:
    if len(key) < 32:
        raise ValueError("must be at least 32 characters")
    return key


def load_settings() -> Settings:
    """Read the environment; on failure name every offending variable."""
    try:
        return Settings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            names = ".".join(str(p) for p in err["loc"]).upper() or "configuration"
            problems.append(f"{names}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
