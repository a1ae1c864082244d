"""The ``users`` table."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from innovate_api.repositories.revocations import GuardedRead
from innovate_api.repositories.rows import record

Conn = psycopg.Connection[Any]


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    email: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    id: uuid.UUID
    password_hash: str


_CREATE = (
    "INSERT INTO users (email, password_hash) VALUES (%s, %s) "
    "ON CONFLICT (email) DO NOTHING RETURNING id, email, created_at"
)
_ME = GuardedRead.of("SELECT id, email, created_at FROM users WHERE id = %(user_id)s", User)


def create(conn: Conn, email: str, password_hash: str) -> User | None:
    """The new user; ``None`` when the e-mail is taken (one statement, race-free)."""
    cur = conn.cursor(row_factory=record(User))
    return cur.execute(_CREATE, (email, password_hash)).fetchone()


def credentials(conn: Conn, email: str) -> Credentials | None:
    cur = conn.cursor(row_factory=record(Credentials))
    return cur.execute("SELECT id, password_hash FROM users WHERE email = %s", (email,)).fetchone()


def set_password_hash(conn: Conn, user_id: uuid.UUID, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))


def me(conn: Conn, user_id: uuid.UUID, jti: uuid.UUID) -> User | None:
    """The signed-in user (``TokenRevoked`` if the token was signed out)."""
    return _ME.one(conn, jti, {"user_id": user_id})
