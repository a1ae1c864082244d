"""Accounts: register, sign in, lockout, sign out, /me."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from conftest import PASSWORD, bearer

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def test_register_returns_user(client):
    r = client.post(REGISTER, json={"email": "Ada@Example.com", "password": PASSWORD})
    assert r.status_code == 201
    body = r.get_json()
    assert body["email"] == "ada@example.com"
    assert set(body) == {"id", "email", "created_at"}


def test_register_duplicate_is_409_case_insensitive(client):
    assert (
        client.post(REGISTER, json={"email": "a@example.com", "password": PASSWORD}).status_code
        == 201
    )
    r = client.post(REGISTER, json={"email": "A@EXAMPLE.com", "password": PASSWORD})
    assert r.status_code == 409
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["status"] == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "x" * 129}, "password"),
        ({"email": "a@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": PASSWORD, "admin": True}, "admin"),
        ({"email": "a@example.com", "password": 12345678901234}, "password"),
        ({"email": "a@example.com", "password": "nul\x00inside-the-password"}, "password"),
    ],
)
def test_register_validation_names_the_field(client, payload, field):
    r = client.post(REGISTER, json=payload)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert field in [e["field"] for e in r.get_json()["errors"]]


def test_password_is_stored_hashed_with_argon2(client, db):
    client.post(REGISTER, json={"email": "h@example.com", "password": PASSWORD})
    (stored,) = db.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_returns_bearer_token(client, settings):
    client.post(REGISTER, json={"email": "l@example.com", "password": PASSWORD})
    r = client.post(LOGIN, json={"email": "L@example.com", "password": PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.jwt_ttl_seconds
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": "Bearer " + body["access_token"]}
        ).status_code
        == 200
    )


def test_wrong_password_and_unknown_email_look_the_same(client):
    client.post(REGISTER, json={"email": "x@example.com", "password": PASSWORD})
    wrong = client.post(LOGIN, json={"email": "x@example.com", "password": "wrong password!"})
    unknown = client.post(
        LOGIN, json={"email": "nobody@example.com", "password": "wrong password!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.get_json().items() if k != "request_id"}  # noqa: E731
    assert strip(wrong) == strip(unknown)


def test_unknown_accounts_cost_one_argon2_verification_too(client, app, monkeypatch):
    """No timing oracle: a known and an unknown e-mail both pay for exactly one verify."""
    client.post(REGISTER, json={"email": "t@example.com", "password": PASSWORD})
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self, stored, password):
        calls.append(stored)
        return real_verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    for email in ("t@example.com", "unknown@example.com"):
        calls.clear()
        r = client.post(LOGIN, json={"email": email, "password": "wrong password!"})
        assert r.status_code == 401
        assert len(calls) == 1
        assert calls[0].startswith("$argon2id$")


def test_repeated_failures_slow_down_this_client_and_are_stored_in_db(client, db, settings):
    client.post(REGISTER, json={"email": "lock@example.com", "password": PASSWORD})
    for _ in range(settings.login_max_failures):
        assert (
            client.post(
                LOGIN, json={"email": "lock@example.com", "password": "bad password"}
            ).status_code
            == 401
        )
    r = client.post(LOGIN, json={"email": "lock@example.com", "password": PASSWORD})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"  # the first wait is short: a slow-down
    assert r.mimetype == "application/problem+json"
    (blocked,) = db.execute(
        "SELECT blocked_until > now() FROM login_throttle "
        "WHERE email = 'lock@example.com' AND client = '127.0.0.1'"
    ).fetchone()
    assert blocked is True
    # Each attempt past the limit doubles the wait (shared by every pod: it is in the DB).
    waits = []
    for _ in range(3):
        db.execute("UPDATE login_throttle SET blocked_until = now() - interval '1 second'")
        bad = client.post(LOGIN, json={"email": "lock@example.com", "password": "bad password"})
        assert bad.status_code == 401
        r = client.post(LOGIN, json={"email": "lock@example.com", "password": PASSWORD})
        assert r.status_code == 429
        waits.append(int(r.headers["Retry-After"]))
    assert waits == [2, 4, 8]
    # Once the wait is over, the right password works and clears this client's counter.
    db.execute("UPDATE login_throttle SET blocked_until = now() - interval '1 second'")
    assert (
        client.post(LOGIN, json={"email": "lock@example.com", "password": PASSWORD}).status_code
        == 200
    )
    assert db.execute(
        "SELECT count(*) FROM login_throttle WHERE email = 'lock@example.com'"
    ).fetchone() == (0,)


def test_lockout_also_applies_to_unknown_accounts(client, settings):
    """Otherwise a lockout response would reveal that an account exists."""
    for _ in range(settings.login_max_failures):
        client.post(LOGIN, json={"email": "ghost@example.com", "password": "bad password"})
    assert (
        client.post(
            LOGIN, json={"email": "ghost@example.com", "password": "bad password"}
        ).status_code
        == 429
    )


def test_me(client, user):
    r = client.get("/api/v1/me", headers=bearer(user))
    assert r.status_code == 200
    assert r.get_json()["email"] == user["email"]


def test_logout_revokes_token_server_side(client, user, db):
    note = client.post("/api/v1/notes", json={"title": "mine"}, headers=bearer(user)).get_json()
    assert client.post("/api/v1/auth/logout", headers=bearer(user)).status_code == 204
    # Found rows and empty results both see the revocation.
    assert client.get(f"/api/v1/notes/{note['id']}", headers=bearer(user)).status_code == 401
    assert (
        client.patch(
            f"/api/v1/notes/{note['id']}", json={"title": "x"}, headers=bearer(user)
        ).status_code
        == 401
    )
    assert client.delete(f"/api/v1/notes/{note['id']}", headers=bearer(user)).status_code == 401
    assert db.execute("SELECT count(*) FROM revoked_tokens").fetchone() == (1,)
    for method, path in [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/notes"),
        ("post", "/api/v1/auth/logout"),
    ]:
        r = getattr(client, method)(path, headers=bearer(user))
        assert r.status_code == 401, path
    r = client.post("/api/v1/notes", json={"title": "after logout"}, headers=bearer(user))
    assert r.status_code == 401
    assert db.execute("SELECT title, deleted_at FROM notes").fetchall() == [("mine", None)]


def test_other_sessions_survive_logout(client, user):
    second = client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    other = {"Authorization": "Bearer " + second.get_json()["access_token"]}
    client.post("/api/v1/auth/logout", headers=bearer(user))
    assert client.get("/api/v1/me", headers=other).status_code == 200
