"""Structured JSON logs with the request id; nothing secret is ever passed to them."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from flask import has_request_context, request

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = (
                request.environ.get("innovate.request_id") if has_request_context() else None
            )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra= fields become top-level keys."""

    # Formatting the second once per second is measurably cheaper on hot paths.
    _last_second = -1
    _last_stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._last_second:
            self._last_stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._last_second = second
        payload: dict[str, Any] = {
            "ts": f"{self._last_stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = record.__dict__
        for key in fields.keys() - _STANDARD:
            value = fields[key]
            if value is not None and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_innovate", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        handler._innovate = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
