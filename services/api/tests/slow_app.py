"""WSGI module for the graceful-shutdown test: the real app plus one slow route."""

from __future__ import annotations

import time

from flask import request

from innovate_api.app import create_app

app = create_app()


@app.get("/test/slow")
def slow() -> dict[str, str]:
    time.sleep(float(request.args.get("seconds", "2")))
    return {"status": "slow request finished"}
