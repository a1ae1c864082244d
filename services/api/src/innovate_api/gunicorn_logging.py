"""gunicorn's logger, JSON-formatted, without gunicorn's own access log.

The app writes the access log itself (with the request id). With gunicorn's default
logger, any logging configuration makes it build the access-log atoms for every
request even when nothing is written; this class skips that work entirely.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from innovate_api.logs import JsonFormatter


class JsonGunicornLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None
