"""Hand-built JSON responses for the hot paths (no schema serialisation per request).

The shapes are the ones documented by the response models in schemas.py; the tests
and the schemathesis fuzz check that they match.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask.json.provider import DefaultJSONProvider

from innovate_api.repositories.notes import Note
from innovate_api.repositories.users import User

# Built once: json.dumps with any non-default option builds a new encoder per call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(_encode(payload), status=status, mimetype="application/json")


def user_json(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email, "created_at": user.created_at.isoformat()}


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": str(note.id),
        "title": note.title,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


class ApiJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that no request body can make parsing raise anything but
    ``ValueError`` (which Flask answers with 400): a deeply nested document makes the
    parser raise ``RecursionError``, which would otherwise be a 500 with a traceback."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None
