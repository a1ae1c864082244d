"""Pre-promotion smoke test: runs in the API image against the preview Service.

Checks that the preview answers /readyz and that /api/v1/version reports the build
being released (git SHA) from the preview side (colour = its pod-template hash), then
sends steady requests for SMOKE_SECONDS so Prometheus can measure the preview pods'
success rate and latency. Exits non-zero, naming the failed check, on any problem.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ["SMOKE_URL"].rstrip("/")
WANT_SHA = os.environ["SMOKE_WANT_SHA"]
WANT_COLOR = os.environ["SMOKE_WANT_COLOR"]
SECONDS = float(os.environ["SMOKE_SECONDS"])
RATE = float(os.environ["SMOKE_RPS"])
TIMEOUT = 5.0
if not BASE.startswith(("http://", "https://")):
    sys.exit(f"smoke: SMOKE_URL must be an http(s) URL, got {BASE!r}")


def get(path):
    try:
        # BASE is checked to be http(s) above.
        with urllib.request.urlopen(BASE + path, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:  # refused, reset, timed out: no answer at all
        return 0, str(exc).encode()


def check_version():
    status, body = get("/api/v1/version")
    if status != 200:
        sys.exit(f"smoke: GET /api/v1/version answered {status}")
    version = json.loads(body)
    if version.get("git_sha") != WANT_SHA:
        sys.exit(f"smoke: preview serves git_sha {version.get('git_sha')!r}, expected {WANT_SHA!r}")
    if version.get("color") != WANT_COLOR:
        sys.exit(
            f"smoke: answered by colour {version.get('color')!r}, "
            f"expected the preview {WANT_COLOR!r}"
        )


def main():
    status, _ = get("/readyz")
    if status != 200:
        sys.exit(f"smoke: GET /readyz answered {status}")
    check_version()
    sent = failures = 0
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        for path in ("/api/v1/version", "/readyz"):
            status, _ = get(path)
            sent += 1
            failures += status == 0 or status >= 500
        time.sleep(2 / RATE)
    check_version()
    if failures:
        sys.exit(f"smoke: {failures} of {sent} requests failed (5xx or no answer)")
    print(f"smoke: ok, {sent} requests to {BASE}, version {WANT_SHA} colour {WANT_COLOR}")


if __name__ == "__main__":
    main()
