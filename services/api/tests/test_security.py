"""Token tampering and expiry; SQL injection payloads are stored or rejected, never run."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from conftest import JWT_SECRET, PASSWORD, bearer

INJECTIONS = [
    "'; DROP TABLE notes; --",
    "' OR '1'='1",
    '" OR ""="',
    "1; SELECT pg_sleep(5); --",
    "$$; DELETE FROM users; $$",
    "%s %(x)s {0}",
    "Robert'); DROP TABLE users;--",
]


def _me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _claims(user):
    return jwt.decode(user["token"], options={"verify_signature": False})


def test_expired_token_is_401(client, user):
    claims = _claims(user) | {"exp": int(time.time()) - 5, "iat": int(time.time()) - 100}
    assert _me(client, jwt.encode(claims, JWT_SECRET, algorithm="HS256")).status_code == 401


def test_tampered_payload_is_401(client, user, make_user):
    other = make_user()
    header, _payload, sig = user["token"].split(".")
    claims = _claims(user) | {"sub": _claims(other)["sub"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert _me(client, f"{header}.{forged}.{sig}").status_code == 401


def test_wrong_key_alg_none_and_wrong_issuer_are_401(client, user):
    claims = _claims(user)
    assert (
        _me(client, jwt.encode(claims, "another-secret-" + "y" * 32, algorithm="HS256")).status_code
        == 401
    )
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert _me(client, unsigned).status_code == 401
    assert (
        _me(client, jwt.encode(claims | {"iss": "evil"}, JWT_SECRET, algorithm="HS256")).status_code
        == 401
    )
    no_jti = {k: v for k, v in claims.items() if k != "jti"}
    assert _me(client, jwt.encode(no_jti, JWT_SECRET, algorithm="HS256")).status_code == 401


def test_token_for_unknown_user_is_401(client, user):
    claims = _claims(user) | {"sub": str(uuid.uuid4())}
    assert _me(client, jwt.encode(claims, JWT_SECRET, algorithm="HS256")).status_code == 401


def test_token_signature_bit_flip(client, user):
    token = user["token"]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert _me(client, flipped).status_code == 401


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_in_note_fields_is_stored_verbatim(client, user, db, payload):
    r = client.post("/api/v1/notes", json={"title": payload, "body": payload}, headers=bearer(user))
    assert r.status_code == 201
    note = r.get_json()
    assert note["title"] == payload
    r = client.patch(
        f"/api/v1/notes/{note['id']}", json={"body": payload + "!"}, headers=bearer(user)
    )
    assert r.get_json()["body"] == payload + "!"
    assert client.get(f"/api/v1/notes?cursor={payload}", headers=bearer(user)).status_code == 422
    assert db.execute("SELECT count(*) FROM notes").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM users").fetchone() == (1,)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_injection_in_credentials_is_rejected_or_harmless(client, db, payload):
    r = client.post("/api/v1/auth/register", json={"email": payload, "password": PASSWORD})
    assert r.status_code == 422
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "inj@example.com", "password": payload + " padding!"},
    )
    assert r.status_code == 201
    assert (
        client.post(
            "/api/v1/auth/login",
            json={"email": "inj@example.com", "password": payload + " padding!"},
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "inj@example.com", "password": payload}
        ).status_code
        == 401
    )
    r = client.post(
        "/api/v1/auth/login",
        json={"email": f"x{payload}@example.com".replace(" ", ""), "password": payload},
    )
    assert r.status_code in (401, 422)
    assert db.execute("SELECT count(*) FROM users").fetchone() == (1,)
    assert db.execute("SELECT to_regclass('notes') IS NOT NULL").fetchone() == (True,)


def _nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(
    "body",
    [
        _nested(2000),  # a 4 KB body: the parser's recursion limit
        '{"email": ' + _nested(1500, '"a@example.com"') + ', "password": "x"}',
        '{"title": ' + "{" + '"a":{' * 1200 + "}" * 1201 + "}",
    ],
    ids=["top-level", "in-a-field", "objects"],
)
@pytest.mark.parametrize(
    ("method", "path", "authed"),
    [
        ("post", "/api/v1/auth/register", False),
        ("post", "/api/v1/auth/login", False),
        ("post", "/api/v1/notes", True),
        ("patch", "/api/v1/notes/00000000-0000-0000-0000-000000000000", True),
    ],
)
def test_deeply_nested_json_is_a_400_problem_not_a_500(
    client, user, log_records, body, method, path, authed
):
    headers = {"Content-Type": "application/json", **(bearer(user) if authed else {})}
    r = getattr(client, method)(path, data=body, headers=headers)
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["status"] == 400
    assert not [line for line in log_records if '"level": "ERROR"' in line]


@pytest.mark.parametrize("depth", [50, 900])
def test_nested_values_within_the_parser_limit_are_field_errors(client, user, depth):
    # Parsed fine, so validation sees them: a 422 naming the field, never a 500.
    body = '{"title": ' + _nested(depth) + "}"
    r = client.post(
        "/api/v1/notes", data=body, headers={"Content-Type": "application/json", **bearer(user)}
    )
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
    assert r.get_json()["errors"][0]["field"] == "title"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"\xff\xfe{\x00", 400),  # not UTF-8 (UnicodeDecodeError is a ValueError)
        (b'{"title": 1' + b"0" * 5000 + b"}", 400),  # int beyond Python's digit limit
        (b'{"title": 1e999999}', 422),  # parsed as inf: a field error
        (b'{"title": NaN}', 422),
        (b'{"title": "\\ud800"}', 422),  # a lone surrogate cannot be stored
        (b'{"title": "a", "title": "b"}', 201),  # duplicate keys: the last one wins
        (b"[]", 422),
        (b"null", 422),
    ],
)
def test_other_json_parser_edge_cases_are_4xx(client, user, log_records, body, status):
    r = client.post(
        "/api/v1/notes", data=body, headers={"Content-Type": "application/json", **bearer(user)}
    )
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert not [line for line in log_records if '"level": "ERROR"' in line]


@pytest.mark.parametrize(
    "query", ["limit=1e999", "limit=99999999999999999999999", "cursor=%FF%FE", "limit=-0"]
)
def test_query_parser_edge_cases_are_422(client, user, query):
    r = client.get(f"/api/v1/notes?{query}", headers=bearer(user))
    assert r.status_code == 422, r.get_data(as_text=True)[:300]
