"""Notes: the one owned resource. Every query is scoped to the signed-in owner, so
another user's note is indistinguishable from a missing one (404, never 403)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid

from apiflask import APIBlueprint, abort
from flask import Response

from innovate_api import extensions
from innovate_api.deps import auth_required, principal, sync_view
from innovate_api.jsonio import json_response, note_json
from innovate_api.repositories import notes
from innovate_api.repositories.revocations import TokenRevoked
from innovate_api.schemas import NoteIn, NoteOut, NotePage, NotePatch, PageQuery

bp = APIBlueprint("notes", __name__, url_prefix="/api/v1/notes", tag="Notes")


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
@sync_view
def create_note(data: NoteIn) -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        note = notes.create(conn, who.user_id, who.jti, data.title, data.body)
    if note is None:  # only a revocation filters the insert, and that raised already
        raise TokenRevoked
    return json_response(note_json(note), 201)


@bp.get("")
@auth_required
@bp.input(PageQuery, location="query", arg_name="page")
@bp.output(NotePage, description="A page of notes, newest first")
@bp.doc(security="BearerAuth", summary="List my notes (cursor pagination)")
@sync_view
def list_notes(page: PageQuery) -> Response:
    who = principal()
    after = decode_cursor(page.cursor) if page.cursor else None
    with extensions.db().connection() as conn:
        found = notes.page(conn, who.user_id, who.jti, page.limit + 1, after)
    next_cursor = None
    if len(found) > page.limit:
        found = found[: page.limit]
        next_cursor = encode_cursor(found[-1].created_at, found[-1].id)
    return json_response({"items": [note_json(n) for n in found], "next_cursor": next_cursor})


@bp.get("/<uuid:note_id>")
@auth_required
@bp.output(NoteOut, description="The note")
@bp.doc(security="BearerAuth", summary="Read one of my notes")
@sync_view
def get_note(note_id: uuid.UUID) -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        note = notes.get(conn, who.user_id, who.jti, note_id)
    if note is None:
        abort(404, "Note not found.")
    return json_response(note_json(note))


@bp.patch("/<uuid:note_id>")
@auth_required
@bp.input(NotePatch, arg_name="data")
@bp.output(NoteOut, description="The updated note")
@bp.doc(security="BearerAuth", summary="Change the title and/or body of one of my notes")
@sync_view
def update_note(note_id: uuid.UUID, data: NotePatch) -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        note = notes.update(conn, who.user_id, who.jti, note_id, data.title, data.body)
    if note is None:
        abort(404, "Note not found.")
    return json_response(note_json(note))


@bp.delete("/<uuid:note_id>")
@auth_required
@bp.output({}, status_code=204, description="Deleted (kept for the retention period)")
@bp.doc(security="BearerAuth", summary="Delete one of my notes (soft delete)")
@sync_view
def delete_note(note_id: uuid.UUID) -> Response:
    who = principal()
    with extensions.db().connection() as conn:
        deleted = notes.soft_delete(conn, who.user_id, who.jti, note_id)
    if not deleted:
        abort(404, "Note not found.")
    return Response(status=204)
