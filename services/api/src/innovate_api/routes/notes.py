"""Notes: the one owned resource. Every query is scoped to the signed-in owner, so
another user's note is indistinguishable from a missing one (404, never 403)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid

from apiflask import APIBlueprint, abort
from flask import Response, current_app

from innovate_api.db import Database
from innovate_api.jsonio import json_response, note_json
from innovate_api.schemas import NoteIn, NoteOut, NotePage, NotePatch, PageQuery
from innovate_api.security import (
    auth_required,
    authed_read,
    authed_write,
    principal,
    reject_revoked,
)

bp = APIBlueprint("notes", __name__, url_prefix="/api/v1/notes", tag="Notes")


def _db() -> Database:
    db: Database = current_app.extensions["innovate.db"]
    return db


def encode_cursor(created_at: dt.datetime, note_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{note_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, note_id = raw.partition("|")
        when = dt.datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("naive timestamp")
        return when, uuid.UUID(note_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        abort(422, detail={"query": {"cursor": ["Invalid cursor."]}})


@bp.post("")
@auth_required
@bp.input(NoteIn, arg_name="data")
@bp.output(NoteOut, status_code=201, description="The created note")
@bp.doc(security="BearerAuth", summary="Create a note")
def create_note(data: NoteIn) -> Response:
    who = principal()
    with _db().connection() as conn:
        row = authed_write(
            conn,
            "INSERT INTO notes (owner_id, title, body) SELECT %s, %s, %s "
            "WHERE NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s) "
            "RETURNING id, title, body, created_at, updated_at",
            (who.user_id, data.title, data.body, who.jti),
        )
    if row is None:  # only a revocation filters an insert (authed_write raised 401 then)
        reject_revoked()
    return json_response(note_json(row), 201)


@bp.get("")
@auth_required
@bp.input(PageQuery, location="query", arg_name="page")
@bp.output(NotePage, description="A page of notes, newest first")
@bp.doc(security="BearerAuth", summary="List my notes (cursor pagination)")
def list_notes(page: PageQuery) -> Response:
    owner = principal().user_id
    if page.cursor:
        created, last_id = decode_cursor(page.cursor)
        query = (
            "SELECT id, title, body, created_at, updated_at FROM notes "
            "WHERE owner_id = %s AND deleted_at IS NULL "
            "AND (created_at, id) < (%s, %s) ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        params: tuple[object, ...] = (owner, created, last_id, page.limit + 1)
    else:
        query = (
            "SELECT id, title, body, created_at, updated_at FROM notes "
            "WHERE owner_id = %s AND deleted_at IS NULL "
            "ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        params = (owner, page.limit + 1)
    with _db().connection() as conn:
        rows = authed_read(conn, query, params)
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = encode_cursor(rows[-1][3], rows[-1][0])
    return json_response({"items": [note_json(r) for r in rows], "next_cursor": next_cursor})


@bp.get("/<uuid:note_id>")
@auth_required
@bp.output(NoteOut, description="The note")
@bp.doc(security="BearerAuth", summary="Read one of my notes")
def get_note(note_id: uuid.UUID) -> Response:
    with _db().connection() as conn:
        rows = authed_read(
            conn,
            "SELECT id, title, body, created_at, updated_at FROM notes "
            "WHERE id = %s AND owner_id = %s AND deleted_at IS NULL",
            (note_id, principal().user_id),
        )
    if not rows:
        abort(404, "Note not found.")
    return json_response(note_json(rows[0]))


@bp.patch("/<uuid:note_id>")
@auth_required
@bp.input(NotePatch, arg_name="data")
@bp.output(NoteOut, description="The updated note")
@bp.doc(security="BearerAuth", summary="Change the title and/or body of one of my notes")
def update_note(note_id: uuid.UUID, data: NotePatch) -> Response:
    who = principal()
    with _db().connection() as conn:
        row = authed_write(
            conn,
            "UPDATE notes SET title = COALESCE(%s, title), body = COALESCE(%s, body), "
            "updated_at = now() "
            "WHERE id = %s AND owner_id = %s AND deleted_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s) "
            "RETURNING id, title, body, created_at, updated_at",
            (data.title, data.body, note_id, who.user_id, who.jti),
        )
    if row is None:
        abort(404, "Note not found.")
    return json_response(note_json(row))


@bp.delete("/<uuid:note_id>")
@auth_required
@bp.output({}, status_code=204, description="Deleted (kept for the retention period)")
@bp.doc(security="BearerAuth", summary="Delete one of my notes (soft delete)")
def delete_note(note_id: uuid.UUID) -> Response:
    who = principal()
    with _db().connection() as conn:
        row = authed_write(
            conn,
            "UPDATE notes SET deleted_at = now() "
            "WHERE id = %s AND owner_id = %s AND deleted_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %s) "
            "RETURNING id",
            (note_id, who.user_id, who.jti),
        )
    if row is None:
        abort(404, "Note not found.")
    return Response(status=204)
