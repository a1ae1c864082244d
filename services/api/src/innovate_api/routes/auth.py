"""Accounts: register, sign in (with lockout), sign out, me."""

from __future__ import annotations

import logging
import math
from typing import NoReturn

from apiflask import APIBlueprint, abort
from flask import Response

from innovate_api import extensions
from innovate_api.deps import auth_required, client_address, principal, sync_view
from innovate_api.jsonio import json_response, user_json
from innovate_api.repositories import revocations, throttle, users
from innovate_api.schemas import LoginIn, RegisterIn, TokenOut, UserOut

bp = APIBlueprint("auth", __name__, url_prefix="/api/v1", tag="Accounts")
log = logging.getLogger("innovate_api.auth")

_BAD_CREDENTIALS = "Invalid email or password."


@bp.post("/auth/register")
@bp.input(RegisterIn, arg_name="data")
@bp.output(UserOut, status_code=201, description="The new account")
@bp.doc(
    summary="Create an account",
    responses={
        409: "An account with this email exists",
        429: "Too many sign-in or registration requests from this client (Retry-After)",
    },
)
@sync_view
def register(data: RegisterIn) -> Response:
    services = extensions.services()
    services.auth_limiter.check(client_address())
    email = data.email.lower()
    with services.passwords.admission():
        hashed = services.passwords.hash(data.password)
    with services.db.connection() as conn:
        user = users.create(conn, email, hashed)
    if user is None:
        abort(409, "An account with this email already exists.")
    log.info("account registered", extra={"user_id": str(user.id)})
    return json_response(user_json(user), 201)


def _too_many(wait: float) -> NoReturn:
    abort(
        429,
        "Too many failed sign-in attempts. Try again later.",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


@bp.post("/auth/login")
@bp.input(LoginIn, arg_name="data")
@bp.output(TokenOut, description="A short-lived Bearer access token")
@bp.doc(
    summary="Sign in",
    responses={
        401: "Invalid email or password",
        429: "Too many sign-in attempts from this client, or for this account from this "
        "client; retry after Retry-After seconds",
    },
)
@sync_view
def login(data: LoginIn) -> Response:
    services = extensions.services()
    settings, passwords = services.settings, services.passwords
    client = client_address()
    services.auth_limiter.check(client)
    email = data.email.lower()
    window = settings.login_lockout_seconds
    with passwords.admission():
        with services.db.connection() as conn:
            # Counted before the password is checked, atomically: parallel guesses
            # cannot get past the limit.
            # (account, client) first: attempts on a throttled account do not also use up
            # the client's own budget.
            wait = throttle.admit(conn, email, client, settings.login_max_failures, window)
            if wait is None:
                wait = throttle.admit(
                    conn, throttle.ANY_ACCOUNT, client, settings.login_client_max_failures, window
                )
            if wait is not None:
                _too_many(wait)
            found = users.credentials(conn, email)
        # Always one argon2 verification, account or not (no timing oracle); no pooled
        # connection is held meanwhile.
        ok = passwords.verify(found.password_hash if found else None, data.password)
        if ok and found is not None:
            rehashed = (
                passwords.hash(data.password)
                if passwords.needs_rehash(found.password_hash)
                else None
            )
            with services.db.connection() as conn:
                throttle.succeeded(conn, email, client)
                if rehashed is not None:
                    users.set_password_hash(conn, found.id, rehashed)
    if not ok or found is None:
        log.info("sign-in failed")
        abort(401, _BAD_CREDENTIALS)
    log.info("signed in", extra={"user_id": str(found.id)})
    tokens = services.tokens
    return json_response(
        {"access_token": tokens.issue(found.id), "token_type": "Bearer", "expires_in": tokens.ttl}
    )


@bp.post("/auth/logout")
@auth_required
@bp.output({}, status_code=204, description="The token is revoked")
@bp.doc(security="BearerAuth", summary="Sign out (revokes the access token on every pod)")
@sync_view
def logout() -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        revocations.revoke(conn, who.jti, who.expires_at)  # already revoked: 401
    return Response(status=204)


@bp.get("/me")
@auth_required
@bp.output(UserOut, description="The signed-in account")
@bp.doc(security="BearerAuth", summary="The signed-in account")
@sync_view
def me() -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        user = users.me(conn, who.user_id, who.jti)
    if user is None:
        abort(401, "The account no longer exists.")
    return json_response(user_json(user))
