"""The ``login_throttle`` table: failed sign-ins per submitted e-mail."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

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


def locked_for(conn: Conn, email: str) -> float | None:
    """Seconds the e-mail stays locked, ``None`` if it is not."""
    row = conn.execute(
        "SELECT extract(epoch FROM locked_until - now()) FROM login_throttle "
        "WHERE email = %s AND locked_until > now()",
        (email,),
    ).fetchone()
    return None if row is None else float(row[0])


def record_failure(conn: Conn, email: str, max_failures: int, lockout_seconds: int) -> None:
    conn.execute(_RECORD_FAILURE, {"email": email, "max": max_failures, "lock": lockout_seconds})


def clear(conn: Conn, email: str) -> None:
    conn.execute("DELETE FROM login_throttle WHERE email = %s", (email,))


def purge_stale(conn: Conn, lockout_seconds: int, batch: int) -> int:
    """Delete up to ``batch`` throttles that are unlocked and past their window."""
    return conn.execute(
        "DELETE FROM login_throttle WHERE email IN (SELECT email FROM login_throttle "
        "WHERE (locked_until IS NULL OR locked_until < now()) "
        "AND last_failure_at < now() - %s * interval '1 second' LIMIT %s)",
        (lockout_seconds, batch),
    ).rowcount
