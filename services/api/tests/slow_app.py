"""WSGI module for the graceful-shutdown test: the real app plus one slow route."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import request

from innovate_api.app import create_app

app = create_app()


@app.get("/test/slow")
def slow() -> dict[str, str]:
    # Tell the test the request is in flight, so SIGTERM is sent at the right moment.
    Path(os.environ["SLOW_MARKER"]).write_text("started")
    time.sleep(float(request.args.get("seconds", "2")))
    return {"status": "slow request finished"}
