"""Typed access to the services the application factory builds.

Everything the API keeps in ``app.extensions`` lives in one ``Services`` object under one
key; views, the CLI and the gunicorn hooks read it through these accessors, never by a
string key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from innovate_api.config import Settings
from innovate_api.db import Database
from innovate_api.limits import AuthRateLimiter
from innovate_api.security import Passwords, Tokens

_KEY = "innovate"


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    passwords: Passwords
    tokens: Tokens
    auth_limiter: AuthRateLimiter

    def install(self, app: Flask) -> None:
        app.extensions[_KEY] = self


def services_of(app: Any) -> Services | None:
    """The services of ``app`` (any object; ``None`` if it is not an API app)."""
    found = getattr(app, "extensions", {}).get(_KEY)
    return found if isinstance(found, Services) else None


def services() -> Services:
    # One context-variable read; each attribute read through the ``current_app`` proxy
    # costs ~1 us (a failed lookup on the proxy first), and this runs on every request.
    found: Services = current_app._get_current_object().extensions[_KEY]  # type: ignore[attr-defined]
    return found


def settings() -> Settings:
    return services().settings


def db() -> Database:
    return services().db


def passwords() -> Passwords:
    return services().passwords


def tokens() -> Tokens:
    return services().tokens
