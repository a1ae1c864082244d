"""The ``login_throttle`` table: sign-in attempts per (account, client) and per client.

``admit`` is the whole check-and-count: one autocommit statement that, under the row
lock of ``INSERT ... ON CONFLICT DO UPDATE``, either refuses the attempt (the key is
blocked) or counts it *before* the password is verified. Parallel guesses therefore
get exactly ``max_attempts`` verifications, never more. Past the limit every further
attempt blocks the key for twice as long as the previous one (1 s, 2 s, 4 s, ...,
at most ``window`` seconds): a slow-down, not a lock-out.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

ANY_ACCOUNT = ""
"""The ``email`` of a client's own counter (over every account it tries)."""

_ADMIT = """
INSERT INTO login_throttle AS t (email, client, failures, admitted, last_attempt_at, blocked_until)
VALUES (%(email)s, %(client)s, 1, true, now(),
        CASE WHEN %(max)s <= 1 THEN now() + interval '1 second' END)
ON CONFLICT (email, client) DO UPDATE SET
    failures = CASE
        WHEN t.blocked_until > now() THEN t.failures
        WHEN t.last_attempt_at < now() - %(window)s * interval '1 second' THEN 1
        ELSE t.failures + 1 END,
    admitted = NOT coalesce(t.blocked_until > now(), false),
    last_attempt_at = CASE WHEN t.blocked_until > now() THEN t.last_attempt_at ELSE now() END,
    blocked_until = CASE
        WHEN t.blocked_until > now() THEN t.blocked_until
        WHEN t.last_attempt_at < now() - %(window)s * interval '1 second' THEN
            CASE WHEN %(max)s <= 1 THEN now() + interval '1 second' END
        WHEN t.failures + 1 >= %(max)s THEN now() + least(
            %(window)s, power(2, least(t.failures + 1 - %(max)s, 20))) * interval '1 second'
        ELSE NULL END
RETURNING admitted, extract(epoch FROM blocked_until - now())
"""


def admit(conn: Conn, email: str, client: str, max_attempts: int, window: int) -> float | None:
    """Count one attempt for (email, client); ``None`` if admitted, else seconds to wait."""
    row = conn.execute(
        _ADMIT, {"email": email, "client": client, "max": max_attempts, "window": window}
    ).fetchone()
    if row is None or row[0]:
        return None
    return max(1.0, math.ceil(float(row[1] or 1)))


def succeeded(conn: Conn, email: str, client: str) -> None:
    """The password was right: forget this (account, client)'s attempts and take the
    attempt back from the client's own counter (it was counted before verifying)."""
    conn.execute(
        "WITH gone AS (DELETE FROM login_throttle WHERE email = %(email)s AND client = %(client)s) "
        "UPDATE login_throttle SET failures = greatest(failures - 1, 0) "
        "WHERE email = '' AND client = %(client)s",
        {"email": email, "client": client},
    )


def purge_stale(conn: Conn, window: int, batch: int) -> int:
    """Delete up to ``batch`` counters that are unblocked and past their window."""
    return conn.execute(
        "DELETE FROM login_throttle WHERE (email, client) IN (SELECT email, client "
        "FROM login_throttle WHERE (blocked_until IS NULL OR blocked_until < now()) "
        "AND last_attempt_at < now() - %s * interval '1 second' LIMIT %s)",
        (window, batch),
    ).rowcount
