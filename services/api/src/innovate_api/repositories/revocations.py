"""Token revocation (sign-out) and the guard every authenticated query composes.

The guard is checked in the same statement as the request's own query, so sign-out
holds on every pod at no extra round trip:

* ``GuardedRead``: the SELECT gets a leading ``revoked`` column (an InitPlan, evaluated
  once); only an empty result costs a second, tiny query to tell "revoked" from
  "nothing there".
* ``GuardedWrite``: the write carries ``NOT EXISTS (... revoked_tokens ...)`` in its own
  WHERE (one autocommit statement: the check and the write are atomic, a revoked token
  writes nothing); no row back costs the same tiny query.

Both are built once, at import time, from a template that places ``{not_revoked}``; a
template without the placeholder is refused there, not detected at request time.
Both raise ``TokenRevoked`` (the app answers 401).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import Cursor

from innovate_api.repositories.rows import flagged, record

T = TypeVar("T")
Conn = psycopg.Connection[Any]
Params = Mapping[str, Any]

NOT_REVOKED = "NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %(jti)s)"
_IS_REVOKED = "SELECT 1 FROM revoked_tokens WHERE jti = %s"


class TokenRevoked(Exception):
    """The access token was signed out; nothing was read or written."""


@dataclass(frozen=True, slots=True)
class GuardedRead(Generic[T]):
    sql: str
    factory: Callable[[Cursor[Any]], Callable[[Sequence[Any]], tuple[bool, T]]]

    @classmethod
    def of(cls, select: str, row: type[T]) -> GuardedRead[T]:
        """``select`` is a constant ``SELECT <columns> FROM ...`` naming ``row``'s fields."""
        if not select.startswith("SELECT "):
            raise ValueError("a guarded read is a SELECT statement")
        flag = "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %(jti)s) AS revoked, "
        return cls(flag + select[len("SELECT ") :], flagged(row))

    def all(self, conn: Conn, jti: uuid.UUID, params: Params) -> list[T]:
        rows = (
            conn.cursor(row_factory=self.factory)
            .execute(self.sql, {**params, "jti": jti})
            .fetchall()
        )
        if rows:
            if rows[0][0]:
                raise TokenRevoked
            return [item for _, item in rows]
        _raise_if_revoked(conn, jti)
        return []

    def one(self, conn: Conn, jti: uuid.UUID, params: Params) -> T | None:
        rows = self.all(conn, jti, params)
        return rows[0] if rows else None


@dataclass(frozen=True, slots=True)
class GuardedWrite(Generic[T]):
    sql: str
    factory: Callable[[Cursor[Any]], Callable[[Sequence[Any]], T]]

    @classmethod
    def of(cls, template: str, row: type[T]) -> GuardedWrite[T]:
        """``template`` places ``{not_revoked}`` in its WHERE and ends in RETURNING."""
        if "{not_revoked}" not in template or " RETURNING " not in template:
            raise ValueError("a guarded write places {not_revoked} and has RETURNING")
        return cls(template.format(not_revoked=NOT_REVOKED), record(row))

    def one(self, conn: Conn, jti: uuid.UUID, params: Params) -> T | None:
        """The row RETURNING; ``None`` if nothing matched (``TokenRevoked`` if revoked)."""
        found = (
            conn.cursor(row_factory=self.factory)
            .execute(self.sql, {**params, "jti": jti})
            .fetchone()
        )
        if found is None:
            _raise_if_revoked(conn, jti)
        return found


def _raise_if_revoked(conn: Conn, jti: uuid.UUID) -> None:
    if conn.execute(_IS_REVOKED, (jti,)).fetchone() is not None:
        raise TokenRevoked


def revoke(conn: Conn, jti: uuid.UUID, expires_at: int) -> None:
    """Revoke ``jti`` everywhere (one statement); ``TokenRevoked`` if it already was."""
    row = conn.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) "
        "VALUES (%s, to_timestamp(%s)) ON CONFLICT DO NOTHING RETURNING jti",
        (jti, expires_at),
    ).fetchone()
    if row is None:
        raise TokenRevoked


def purge_expired(conn: Conn, batch: int) -> int:
    """Delete up to ``batch`` revocations whose token has expired anyway."""
    return conn.execute(
        "DELETE FROM revoked_tokens WHERE jti IN (SELECT jti FROM revoked_tokens "
        "WHERE expires_at < now() LIMIT %s)",
        (batch,),
    ).rowcount
