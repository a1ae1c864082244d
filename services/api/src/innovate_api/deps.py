"""What views depend on: the Bearer-token check and the signed-in principal.

(The Flask counterpart of the FastAPI template's ``api/deps.py``.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from apiflask import abort
from flask import g, request

from innovate_api import extensions
from innovate_api.clientaddr import client_address as resolve_client
from innovate_api.security import Principal

_F = TypeVar("_F", bound=Callable[..., Any])


def auth_required(view: _F) -> _F:
    """Require a valid Bearer token (a lean check: header parse + cached HMAC verify).

    Documented in OpenAPI through ``security="BearerAuth"`` on the view's ``doc``.
    Revocation is checked by the view's own query (``repositories.revocations``).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # The objects behind the request and g proxies, read once (hot path: every
        # attribute read through a proxy costs ~1 us).
        environ = request._get_current_object().environ  # type: ignore[attr-defined]
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 2048:
            abort(401)
        found = extensions.tokens().verify(token)
        if found is None:
            abort(401)
        g._get_current_object().principal = found
        return view(*args, **kwargs)

    return cast(_F, wrapper)


def sync_view(view: _F) -> _F:
    """Innermost decorator of a (synchronous) view: tells APIFlask's ``input`` and
    ``output`` decorators that it needs no ``current_app.ensure_sync`` wrapper, which
    would otherwise run on every request (a proxy read and a coroutine check, ~2% of
    a read's CPU). apiflask's own marker; tests/test_http.py checks that it holds."""
    view._sync_ensured = True  # type: ignore[attr-defined]
    return view


def client_address() -> str:
    """The client's address (``X-Forwarded-For`` believed only from trusted proxies)."""
    return resolve_client(
        request.environ.get("REMOTE_ADDR"),
        request.environ.get("HTTP_X_FORWARDED_FOR"),
        extensions.settings().trusted_proxies,
    )


def principal() -> Principal:
    value: Principal = g._get_current_object().principal
    return value
