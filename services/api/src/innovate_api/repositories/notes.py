"""The ``notes`` table. Every statement is scoped to the owner and guarded against
revoked tokens; another user's note is indistinguishable from a missing one."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from innovate_api.repositories.revocations import GuardedRead, GuardedWrite

Conn = psycopg.Connection[Any]


@dataclass(frozen=True, slots=True)
class Note:
    id: uuid.UUID
    title: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NoteId:
    id: uuid.UUID


# Constant SQL (parameters are always bound); columns map onto Note by name.
_CREATE = GuardedWrite.of(
    "INSERT INTO notes (owner_id, title, body) SELECT %(owner)s, %(title)s, %(body)s "
    "WHERE {not_revoked} RETURNING id, title, body, created_at, updated_at",
    Note,
)
_FIRST_PAGE = GuardedRead.of(
    "SELECT id, title, body, created_at, updated_at FROM notes "
    "WHERE owner_id = %(owner)s AND deleted_at IS NULL "
    "ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
    Note,
)
_NEXT_PAGE = GuardedRead.of(
    "SELECT id, title, body, created_at, updated_at FROM notes "
    "WHERE owner_id = %(owner)s AND deleted_at IS NULL "
    "AND (created_at, id) < (%(after_created)s, %(after_id)s) "
    "ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
    Note,
)
_GET = GuardedRead.of(
    "SELECT id, title, body, created_at, updated_at FROM notes "
    "WHERE id = %(id)s AND owner_id = %(owner)s AND deleted_at IS NULL",
    Note,
)
_UPDATE = GuardedWrite.of(
    "UPDATE notes SET title = COALESCE(%(title)s, title), body = COALESCE(%(body)s, body), "
    "updated_at = now() "
    "WHERE id = %(id)s AND owner_id = %(owner)s AND deleted_at IS NULL AND {not_revoked} "
    "RETURNING id, title, body, created_at, updated_at",
    Note,
)
_DELETE = GuardedWrite.of(
    "UPDATE notes SET deleted_at = now() "
    "WHERE id = %(id)s AND owner_id = %(owner)s AND deleted_at IS NULL AND {not_revoked} "
    "RETURNING id",
    NoteId,
)


def create(conn: Conn, owner: uuid.UUID, jti: uuid.UUID, title: str, body: str) -> Note | None:
    """The new note; ``None`` never happens unless revoked (then ``TokenRevoked``)."""
    return _CREATE.one(conn, jti, {"owner": owner, "title": title, "body": body})


def page(
    conn: Conn,
    owner: uuid.UUID,
    jti: uuid.UUID,
    limit: int,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
) -> list[Note]:
    """Up to ``limit`` live notes newest first, strictly after the keyset ``after``."""
    if after is None:
        return _FIRST_PAGE.all(conn, jti, {"owner": owner, "limit": limit})
    return _NEXT_PAGE.all(
        conn,
        jti,
        {"owner": owner, "limit": limit, "after_created": after[0], "after_id": after[1]},
    )


def get(conn: Conn, owner: uuid.UUID, jti: uuid.UUID, note_id: uuid.UUID) -> Note | None:
    return _GET.one(conn, jti, {"owner": owner, "id": note_id})


def update(
    conn: Conn,
    owner: uuid.UUID,
    jti: uuid.UUID,
    note_id: uuid.UUID,
    title: str | None,
    body: str | None,
) -> Note | None:
    """``None`` (unchanged) fields keep their value; ``None`` back means not found."""
    return _UPDATE.one(conn, jti, {"owner": owner, "id": note_id, "title": title, "body": body})


def soft_delete(conn: Conn, owner: uuid.UUID, jti: uuid.UUID, note_id: uuid.UUID) -> bool:
    return _DELETE.one(conn, jti, {"owner": owner, "id": note_id}) is not None


def purge_deleted(conn: Conn, days: int, batch: int) -> int:
    """Delete up to ``batch`` notes soft-deleted more than ``days`` ago."""
    return conn.execute(
        "DELETE FROM notes WHERE id IN (SELECT id FROM notes WHERE deleted_at IS NOT NULL "
        "AND deleted_at < now() - %s * interval '1 day' LIMIT %s)",
        (days, batch),
    ).rowcount
