"""Structured JSON logs with the request id; nothing secret is ever passed to them.

Application logs go through ``logging`` (``JsonFormatter``). The per-request access line
is the hot path, so ``AccessLog`` builds the same JSON object directly (no LogRecord,
no generic formatter over ``record.__dict__``, no handler filter) and writes it with a
single ``os.write`` per line (atomic for a pipe; no lock shared between threads).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from innovate_api.context import current_request_id

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
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


class AccessLog:
    """The access line: ``ts``, ``level``, ``logger``, ``msg`` then the request's fields,
    exactly as ``JsonFormatter`` would write them for ``logger.info("request", extra=...)``.

    Written when the ``innovate_api.access`` logger is enabled for INFO (``LOG_LEVEL``).
    """

    name = "innovate_api.access"

    def __init__(self) -> None:
        self.logger = logging.getLogger(self.name)
        self._prefix = f',"level":"INFO","logger":"{self.name}","msg":"request","method":'
        self._last_second = -1
        self._last_stamp = ""
        self.write: Callable[[bytes], Any] = self._write_fd
        self._fd = 2
        # Methods and route templates are few: quote each once (bounded: a client can
        # send any method token, so stop remembering new ones past a few dozen).
        self._quoted: dict[str, str] = {}

    def use_stream(self, stream: Any) -> None:
        """Write to ``stream`` (its file descriptor when it has one: one syscall per line)."""
        try:
            self._fd = stream.fileno()
            self.write = self._write_fd
        except (AttributeError, OSError, ValueError):
            self.write = lambda line: (stream.write(line.decode()), stream.flush())

    def _write_fd(self, line: bytes) -> None:
        try:
            written = os.write(self._fd, line)
            while written < len(line):  # only for lines beyond the pipe's atomic size
                line = line[written:]
                written = os.write(self._fd, line)
        except OSError:
            pass  # like logging.Handler.handleError: a closed log never fails a request

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def line(
        self,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_ms: float,
        remote_addr: str | None,
        request_id: str,
    ) -> bytes:
        now = time.time()
        second = int(now)
        if second != self._last_second:
            self._last_stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._last_second = second
        remote = "" if remote_addr is None else f',"remote_addr":{_quote(remote_addr)}'
        return (
            f'{{"ts":"{self._last_stamp}.{int((now - second) * 1000):03d}Z"{self._prefix}'
            f'{self._quote_known(method)},"path":{_quote(path)},'
            f'"route":{self._quote_known(route)},'
            f'"status":{status:d},"duration_ms":{duration_ms!r}{remote},'
            f'"request_id":{_quote(request_id)}}}\n'
        ).encode()

    def _quote_known(self, text: str) -> str:
        quoted = self._quoted.get(text)
        if quoted is None:
            quoted = _quote(text)
            if len(self._quoted) < 64:
                self._quoted[text] = quoted
        return quoted

    def __call__(
        self,
        method: str,
        path: str,
        route: str,
        status: int,
        duration_ms: float,
        remote_addr: str | None,
        request_id: str,
    ) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            self.write(self.line(method, path, route, status, duration_ms, remote_addr, request_id))


access_log = AccessLog()


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_innovate", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        handler._innovate = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        access_log.use_stream(sys.stderr)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
