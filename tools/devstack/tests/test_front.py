"""The local front server: CloudFront's rules for the SPA, checked without a browser."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from devstack.front import HeadersFileError, create_app, load_security_headers, main

REPO = Path(__file__).resolve().parents[3]
HEADERS = REPO / "web" / "security-headers.json"
INDEX = b'<!doctype html><div id="root"></div>'


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log(1)")
    (root / "favicon.svg").write_text("<svg/>")
    return root


@pytest.fixture
def api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in upstream that records what reaches it and answers like the API."""
    seen: list[dict[str, Any]] = []

    @Request.application
    def upstream(request: Request) -> Response:
        seen.append(
            {
                "method": request.method,
                "path": request.full_path.rstrip("?"),
                "auth": request.headers.get("Authorization"),
                "body": request.get_data(),
            }
        )
        status = 404 if request.path.endswith("/missing") else 200
        return Response(
            json.dumps({"status": status}),
            status=status,
            mimetype="application/problem+json" if status == 404 else "application/json",
            headers={"X-Frame-Options": "SAMEORIGIN"},
        )

    server = make_server("127.0.0.1", 0, upstream, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}", seen
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def client(dist: Path, api: tuple[str, list[dict[str, Any]]]) -> Client:
    return Client(create_app(dist, api[0], HEADERS))


def test_the_headers_file_becomes_the_cloud_headers() -> None:
    spec = json.loads(HEADERS.read_text())
    headers = dict(load_security_headers(HEADERS))
    assert headers["Content-Security-Policy"] == spec["content_security_policy"]
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    for name, value in spec["custom_headers"].items():
        assert headers[name] == value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"frame_options": ""}, "field 'frame_options' must be a non-empty string"),
        ({"extra": 1}, "unknown field(s) extra"),
        ({"strict_transport_security": {"max_age_seconds": "1"}}, "max_age_seconds' must be"),
        (
            {"strict_transport_security": {"max_age_seconds": 1, "preload": "yes"}},
            "strict_transport_security.preload' must be true or false",
        ),
        ({"custom_headers": {"X-A": 1}}, "field 'custom_headers.X-A' must be a string"),
    ],
)
def test_a_bad_headers_file_names_the_file_and_field(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    spec = json.loads(HEADERS.read_text()) | change
    bad = tmp_path / "headers.json"
    bad.write_text(json.dumps(spec))
    with pytest.raises(HeadersFileError, match=str(bad)) as err:
        load_security_headers(bad)
    assert message in str(err.value)


def test_missing_fields_and_bad_json_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "headers.json"
    bad.write_text('{"content_security_policy": "default-src \'self\'"}')
    with pytest.raises(HeadersFileError, match="missing field"):
        load_security_headers(bad)
    bad.write_text("{")
    with pytest.raises(HeadersFileError, match="not valid JSON"):
        load_security_headers(bad)


@pytest.mark.parametrize("path", ["/", "/notes", "/sign-in", "/notes/", "/metrics"])
def test_deep_links_get_index_html_uncached(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.data == INDEX
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Content-Disposition" not in response.headers


def test_hashed_assets_are_cached_for_a_year(client: Client) -> None:
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Expires" not in response.headers


@pytest.mark.parametrize("path", ["/assets/gone-000.js", "/robots.txt", "/assets/x/../gone.css"])
def test_missing_files_are_404_not_index_html(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.data != INDEX


@pytest.mark.parametrize(
    "path",
    ["/assets/../../../../etc/passwd", "/../../etc/hostname", "/assets/%2e%2e/%2e%2e/etc/hosts"],
)
def test_nothing_outside_dist_is_served(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.data in (INDEX, NotFound().get_response().get_data())


def test_other_files_are_revalidated(client: Client) -> None:
    response = client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_site_is_read_only(client: Client) -> None:
    response = client.post("/notes")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_api_paths_are_forwarded_unchanged_and_never_rewritten(
    client: Client, api: tuple[str, list[dict[str, Any]]]
) -> None:
    _, seen = api
    response = client.post(
        "/api/v1/notes?limit=5",
        data=b'{"title":"x"}',
        headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    missing = client.get("/api/v1/missing")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert seen == [
        {
            "method": "POST",
            "path": "/api/v1/notes?limit=5",
            "auth": "Bearer t",
            "body": b'{"title":"x"}',
        },
        {"method": "GET", "path": "/api/v1/missing", "auth": None, "body": b""},
    ]


def test_every_response_carries_the_security_headers(client: Client) -> None:
    expected = load_security_headers(HEADERS)
    for response in (client.get("/notes"), client.get("/api/v1/x"), client.get("/nope.txt")):
        for name, value in expected:
            # The policy wins over what the upstream set (X-Frame-Options: SAMEORIGIN).
            assert response.headers.getlist(name) == [value], (response.request.path, name)


def test_an_unbuilt_spa_is_refused_with_the_command_to_build_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--dist", str(tmp_path), "--api", "http://127.0.0.1:1", "--headers", str(HEADERS)]
    assert main(argv) == 2
    assert "make web-bundle" in capsys.readouterr().err
