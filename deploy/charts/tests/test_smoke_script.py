"""The pre-promotion smoke test (innovate-api/files/smoke_test.py) against a fake API:
it passes only when the preview answers as the build being released."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from chart import CHART

SCRIPT = CHART / "files" / "smoke_test.py"


class FakeApi(BaseHTTPRequestHandler):
    version: ClassVar[dict[str, Any]] = {}
    status = 200
    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        if self.path == "/api/v1/version":
            body = json.dumps(self.version).encode()
        elif self.path == "/readyz":
            body = b'{"status":"ready"}'
        else:
            self.send_error(404)
            return
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[type[FakeApi]]:
    handler = type(
        "Api",
        (FakeApi,),
        {
            "version": {"version": "0.1.0", "git_sha": "abc1234", "color": "6d4f8b9c7"},
            "status": 200,
            "requests": 0,
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def smoke(
    url: str, sha: str = "abc1234", color: str = "6d4f8b9c7"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SMOKE_URL": url,
        "SMOKE_WANT_SHA": sha,
        "SMOKE_WANT_COLOR": color,
        "SMOKE_SECONDS": "0.5",
        "SMOKE_RPS": "40",
    }
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_passes_when_the_preview_serves_the_build(api: type[FakeApi]) -> None:
    run = smoke(api.url)  # type: ignore[attr-defined]
    assert run.returncode == 0, run.stderr
    assert "smoke: ok" in run.stdout
    assert api.requests > 6  # it kept sending while Prometheus measures


@pytest.mark.parametrize(
    ("sha", "color", "message"),
    [
        ("fff0000", "6d4f8b9c7", "preview serves git_sha 'abc1234', expected 'fff0000'"),
        (
            "abc1234",
            "1a2b3c4d5",
            "answered by colour '6d4f8b9c7', expected the preview '1a2b3c4d5'",
        ),
    ],
)
def test_fails_on_the_wrong_build_or_side(
    api: type[FakeApi], sha: str, color: str, message: str
) -> None:
    run = smoke(api.url, sha, color)  # type: ignore[attr-defined]
    assert run.returncode == 1
    assert message in run.stderr


def test_fails_when_the_preview_errors(api: type[FakeApi]) -> None:
    api.status = 503
    run = smoke(api.url)  # type: ignore[attr-defined]
    assert run.returncode == 1
    assert "smoke: GET /readyz answered 503" in run.stderr


def test_fails_when_nothing_answers() -> None:
    run = smoke("http://127.0.0.1:9")  # discard port: connection refused
    assert run.returncode == 1
    assert "smoke: GET /readyz answered 0" in run.stderr


def test_refuses_a_url_that_is_not_http() -> None:
    run = smoke("file:///etc/passwd")
    assert run.returncode == 1
    assert "smoke: SMOKE_URL must be an http(s) URL, got 'file:///etc/passwd'" in run.stderr
