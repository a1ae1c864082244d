"""WSGI module for the gunicorn tests: the real app plus a slow route (graceful
shutdown) and a report of the worker's garbage-collector state (the heap freeze)."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

from flask import request

from innovate_api import db
from innovate_api.app import create_app

app = create_app()


@app.get("/test/slow")
def slow() -> dict[str, str]:
    # Tell the test the request is in flight, so SIGTERM is sent at the right moment.
    Path(os.environ["SLOW_MARKER"]).write_text("started")
    time.sleep(float(request.args.get("seconds", "2")))
    return {"status": "slow request finished"}


@app.get("/test/gc")
def gc_state() -> dict[str, int]:
    before = db.migration_head.cache_info()
    db.migration_head()
    return {
        "pid": os.getpid(),
        "frozen": gc.get_freeze_count(),
        "tracked": len(gc.get_objects()),
        # 1 if this worker had to read the migration scripts itself (not warmed before fork)
        "revision_reads": db.migration_head.cache_info().misses - before.misses,
    }
