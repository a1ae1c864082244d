"""Accounts: register, sign in (with lockout), sign out, me."""

from __future__ import annotations

import logging
import math

from apiflask import APIBlueprint, abort
from flask import Response

from innovate_api import extensions
from innovate_api.deps import auth_required, principal
from innovate_api.jsonio import json_response, user_json
from innovate_api.repositories import revocations, throttle, users
from innovate_api.schemas import LoginIn, RegisterIn, TokenOut, UserOut

bp = APIBlueprint("auth", __name__, url_prefix="/api/v1", tag="Accounts")
log = logging.getLogger("innovate_api.auth")

_BAD_CREDENTIALS = "Invalid email or password."


@bp.post("/auth/register")
@bp.input(RegisterIn, arg_name="data")
@bp.output(UserOut, status_code=201, description="The new account")
@bp.doc(summary="Create an account", responses={409: "An account with this email exists"})
def register(data: RegisterIn) -> Response:
    email = data.email.lower()
    hashed = extensions.passwords().hash(data.password)
    with extensions.db().connection() as conn:
        user = users.create(conn, email, hashed)
    if user is None:
        abort(409, "An account with this email already exists.")
    log.info("account registered", extra={"user_id": str(user.id)})
    return json_response(user_json(user), 201)


@bp.post("/auth/login")
@bp.input(LoginIn, arg_name="data")
@bp.output(TokenOut, description="A short-lived Bearer access token")
@bp.doc(
    summary="Sign in",
    responses={
        401: "Invalid email or password",
        429: "Too many failed sign-ins for this email; retry after Retry-After seconds",
    },
)
def login(data: LoginIn) -> Response:
    email = data.email.lower()
    services = extensions.services()
    settings, passwords = services.settings, services.passwords
    with services.db.connection() as conn:
        locked = throttle.locked_for(conn, email)
        if locked is not None:
            abort(
                429,
                "Too many failed sign-in attempts. Try again later.",
                headers={"Retry-After": str(max(1, math.ceil(locked)))},
            )
        found = users.credentials(conn, email)
        # Always run one argon2 verification, account or not (no timing oracle).
        ok = passwords.verify(found.password_hash if found else None, data.password)
        if not ok or found is None:
            throttle.record_failure(
                conn, email, settings.login_max_failures, settings.login_lockout_seconds
            )
        else:
            throttle.clear(conn, email)
            if passwords.needs_rehash(found.password_hash):
                users.set_password_hash(conn, found.id, passwords.hash(data.password))
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
def logout() -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        revocations.revoke(conn, who.jti, who.expires_at)  # already revoked: 401
    return Response(status=204)


@bp.get("/me")
@auth_required
@bp.output(UserOut, description="The signed-in account")
@bp.doc(security="BearerAuth", summary="The signed-in account")
def me() -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        user = users.me(conn, who.user_id, who.jti)
    if user is None:
        abort(401, "The account no longer exists.")
    return json_response(user_json(user))
