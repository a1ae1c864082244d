"""Bare reference for `make bench-api`: the API's SQL behind the thinnest Flask + psycopg.

No auth (the caller names its user in X-User-Id), no validation, no logging, no ORM:
what is left is HTTP parsing, one TLS connection per thread, the query and JSON. The
gap between this and the API is the cost of the API's own layers.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid

import psycopg
from argon2 import PasswordHasher
from flask import Flask, Response, request
from innovate_api.repositories import throttle  # the API's sign-in SQL, verbatim

DSN = os.environ["BENCH_BARE_DSN"]
app = Flask(__name__)
_local = threading.local()
_hasher = PasswordHasher()

NOTE_COLUMNS = "id, title, body, created_at, updated_at"
# Diagnostic variants (run_bench.py --bare-db); "plain" is the reference.
#   api-sql     the API's exact statements, token-revocation check included
#               (innovate_api.security: an EXISTS column on reads, a NOT EXISTS guard in
#               the one autocommit write); what remains against the API is Python layers.
#   tx-pipeline the API's earlier write pattern, kept to price it: BEGIN, revocation
#               SELECT and INSERT pipelined, COMMIT (reads as in api-sql).
MODE = os.environ.get("BENCH_BARE_DB", "plain")
REVOKED = "SELECT 1 FROM revoked_tokens WHERE jti = %s"
REVOKED_COLUMN = "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s), "
_JTI = uuid.uuid4()  # never revoked, like a live token
GUARDED_INSERT = (
    "INSERT INTO notes (owner_id, title, body) SELECT %s, %s, %s"
    " WHERE NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s)"
    " RETURNING id, title, body, created_at, updated_at"
)


def db() -> psycopg.Connection:
    # One connection per gunicorn thread, opened after fork: no pool bookkeeping.
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DSN, autocommit=True)
    return conn


def read(sql: str, params: tuple) -> list[tuple]:
    if MODE == "plain":
        return db().execute(sql, params).fetchall()
    rows = db().execute(REVOKED_COLUMN + sql[7:], (_JTI, *params)).fetchall()
    return [row[1:] for row in rows]


def write(sql: str, params: tuple) -> psycopg.Cursor:
    conn = db()
    if MODE == "plain":
        return conn.execute(sql, params)
    if MODE == "api-sql":
        return conn.execute(GUARDED_INSERT, (*params, _JTI))
    with conn.pipeline(), conn.transaction():
        conn.execute(REVOKED, (_JTI,))
        return conn.execute(sql, params)


def out(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status, mimetype="application/json")


def note(row: tuple) -> dict:
    return {
        "id": str(row[0]),
        "title": row[1],
        "body": row[2],
        "created_at": row[3].isoformat(),
        "updated_at": row[4].isoformat(),
    }


@app.get("/ready")
def ready():
    return "ok"


@app.get("/api/v1/notes/<note_id>")
def get_note(note_id: str):
    rows = read(
        f"SELECT {NOTE_COLUMNS} FROM notes"  # noqa: S608 - constant column list
        " WHERE id = %s AND owner_id = %s AND deleted_at IS NULL",
        (note_id, request.headers["X-User-Id"]),
    )
    return out(note(rows[0])) if rows else out({}, 404)


@app.get("/api/v1/notes")
def list_notes():
    limit = int(request.args.get("limit", 20))
    rows = read(
        f"SELECT {NOTE_COLUMNS} FROM notes"  # noqa: S608 - constant column list
        " WHERE owner_id = %s AND deleted_at IS NULL"
        " ORDER BY created_at DESC, id DESC LIMIT %s",
        (request.headers["X-User-Id"], limit + 1),
    )
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        raw = f"{rows[-1][3].isoformat()}|{rows[-1][0]}".encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return out({"items": [note(r) for r in rows], "next_cursor": cursor})


@app.post("/api/v1/notes")
def create_note():
    data = request.get_json()
    row = write(
        f"INSERT INTO notes (owner_id, title, body) VALUES (%s, %s, %s)"  # noqa: S608
        f" RETURNING {NOTE_COLUMNS}",
        (request.headers["X-User-Id"], data["title"], data["body"]),
    ).fetchone()
    return out(note(row), 201)


@app.post("/api/v1/auth/login")
def login():
    # The API's sign-in SQL and the same argon2 verification; no token, no logging.
    email = request.get_json()["email"].lower()
    conn = db()
    client = request.remote_addr or ""
    # The API's check-and-count statements (per (e-mail, client), then per client).
    throttle.admit(conn, email, client, 1_000_000, 900)
    throttle.admit(conn, throttle.ANY_ACCOUNT, client, 1_000_000, 900)
    row = conn.execute("SELECT id, password_hash FROM users WHERE email = %s", (email,)).fetchone()
    _hasher.verify(row[1], request.get_json()["password"])
    throttle.succeeded(conn, email, client)
    return out({"user_id": str(row[0])})
