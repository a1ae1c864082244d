"""Hand-built JSON responses for the hot paths (no schema serialisation per request).

The shapes are the ones documented by the response models in schemas.py; the tests
and the schemathesis fuzz check that they match.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def user_json(row: Any) -> dict[str, Any]:
    return {"id": str(row[0]), "email": row[1], "created_at": row[2].isoformat()}


def note_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row[0]),
        "title": row[1],
        "body": row[2],
        "created_at": row[3].isoformat(),
        "updated_at": row[4].isoformat(),
    }
