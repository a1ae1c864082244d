"""Accounts: register, sign in (with lockout), sign out, me."""

from __future__ import annotations

import logging
import math
from typing import Any

from apiflask import APIBlueprint, abort
from flask import Response, current_app

from innovate_api.db import Database
from innovate_api.jsonio import json_response, user_json
from innovate_api.schemas import LoginIn, RegisterIn, TokenOut, UserOut
from innovate_api.security import (
    Passwords,
    Tokens,
    auth_required,
    authed_read,
    principal,
    reject_revoked,
)

bp = APIBlueprint("auth", __name__, url_prefix="/api/v1", tag="Accounts")
log = logging.getLogger("innovate_api.auth")

_BAD_CREDENTIALS = "Invalid email or password."


def _db() -> Database:
    db: Database = current_app.extensions["innovate.db"]
    return db


@bp.post("/auth/register")
@bp.input(RegisterIn, arg_name="data")
@bp.output(UserOut, status_code=201, description="The new account")
@bp.doc(summary="Create an account", responses={409: "An account with this email exists"})
def register(data: RegisterIn) -> Response:
    email = data.email.lower()
    passwords: Passwords = current_app.extensions["innovate.passwords"]
    hashed = passwords.hash(data.password)
    with _db().connection() as conn:
        row = conn.execute(
            "INSERT INTO users (email, password_hash) VALUES (%s, %s) "
            "ON CONFLICT (email) DO NOTHING RETURNING id, email, created_at",
            (email, hashed),
        ).fetchone()
    if row is None:
        abort(409, "An account with this email already exists.")
    log.info("account registered", extra={"user_id": str(row[0])})
    return json_response(user_json(row), 201)


_RECORD_FAILURE = """
INSERT INTO login_throttle AS t (email, failures, last_failure_at, locked_until)
VALUES (%(email)s, 1, now(), CASE WHEN %(max)s <= 1 THEN now() + %(lock)s * interval '1 second' END)
ON CONFLICT (email) DO UPDATE SET
    failures = CASE WHEN t.last_failure_at < now() - %(lock)s * interval '1 second'
                    THEN 1 ELSE t.failures + 1 END,
    last_failure_at = now(),
    locked_until = CASE
        WHEN (CASE WHEN t.last_failure_at < now() - %(lock)s * interval '1 second'
                   THEN 1 ELSE t.failures + 1 END) >= %(max)s
        THEN now() + %(lock)s * interval '1 second'
        ELSE t.locked_until END
"""


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
    settings = current_app.config["SETTINGS"]
    passwords: Passwords = current_app.extensions["innovate.passwords"]
    tokens: Tokens = current_app.extensions["innovate.tokens"]
    with _db().connection() as conn:
        locked = conn.execute(
            "SELECT extract(epoch FROM locked_until - now()) FROM login_throttle "
            "WHERE email = %s AND locked_until > now()",
            (email,),
        ).fetchone()
        if locked is not None:
            retry = str(max(1, math.ceil(float(locked[0]))))
            abort(
                429,
                "Too many failed sign-in attempts. Try again later.",
                headers={"Retry-After": retry},
            )
        row: Any = conn.execute(
            "SELECT id, password_hash FROM users WHERE email = %s", (email,)
        ).fetchone()
        # Always run one argon2 verification, account or not (no timing oracle).
        ok = passwords.verify(row[1] if row else None, data.password)
        if not ok:
            conn.execute(
                _RECORD_FAILURE,
                {
                    "email": email,
                    "max": settings.login_max_failures,
                    "lock": settings.login_lockout_seconds,
                },
            )
        else:
            conn.execute("DELETE FROM login_throttle WHERE email = %s", (email,))
            if passwords.needs_rehash(row[1]):
                conn.execute(
                    "UPDATE users SET password_hash = %s WHERE id = %s",
                    (passwords.hash(data.password), row[0]),
                )
    if not ok:
        log.info("sign-in failed")
        abort(401, _BAD_CREDENTIALS)
    log.info("signed in", extra={"user_id": str(row[0])})
    return json_response(
        {"access_token": tokens.issue(row[0]), "token_type": "Bearer", "expires_in": tokens.ttl}
    )


@bp.post("/auth/logout")
@auth_required
@bp.output({}, status_code=204, description="The token is revoked")
@bp.doc(security="BearerAuth", summary="Sign out (revokes the access token on every pod)")
def logout() -> Response:
    who = principal()
    with _db().connection() as conn:
        # One autocommit statement: no row back means the jti was already revoked.
        row = conn.execute(
            "INSERT INTO revoked_tokens (jti, expires_at) "
            "VALUES (%s, to_timestamp(%s)) ON CONFLICT DO NOTHING RETURNING jti",
            (who.jti, who.expires_at),
        ).fetchone()
    if row is None:
        reject_revoked()
    return Response(status=204)


@bp.get("/me")
@auth_required
@bp.output(UserOut, description="The signed-in account")
@bp.doc(security="BearerAuth", summary="The signed-in account")
def me() -> Response:
    with _db().connection() as conn:
        rows = authed_read(
            conn, "SELECT id, email, created_at FROM users WHERE id = %s", (principal().user_id,)
        )
    if not rows:
        abort(401, "The account no longer exists.")
    return json_response(user_json(rows[0]))
