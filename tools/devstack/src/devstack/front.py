"""The local front server: what CloudFront does for the SPA, on 127.0.0.1.

One origin serves the built SPA (``web/dist``) and forwards ``/api/*`` to the API, as the
cloud's CloudFront distribution does, so the browser sees the same URLs, the same
response headers (``web/security-headers.json``, the file the CloudFront response-headers
policy is built from) and the same caching:

* ``/api/*``: proxied to the API unchanged (werkzeug's ProxyMiddleware);
  never answered with index.html, so API errors stay API errors.
* ``/assets/*`` (content-hashed by Vite): ``Cache-Control: public, max-age=31536000,
  immutable``; a missing asset is a 404.
* any other existing file in dist (``/favicon.svg``): ``no-cache`` (revalidated).
* a path whose last segment has no dot (a deep link such as ``/notes``): index.html, 200,
  ``no-cache``; a missing dotted path (``/robots.txt``) is a 404.

    python -m devstack.front --dist web/dist --api http://127.0.0.1:8000 \
        --headers web/security-headers.json --port 8080
"""

from __future__ import annotations

import argparse
import json
import posixpath
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.middleware.http_proxy import ProxyMiddleware
from werkzeug.security import safe_join
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

ASSETS_CACHE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
API_PREFIX = "/api/"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class HeadersFileError(ValueError):
    """web/security-headers.json does not describe the headers (names file and field)."""


def _text(path: Path, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HeadersFileError(f"{path}: field {key!r} must be a non-empty string")
    return value


def load_security_headers(path: Path) -> list[tuple[str, str]]:
    """The HTTP headers the JSON file describes (keys starting with ``_`` are comments)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise HeadersFileError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise HeadersFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HeadersFileError(f"{path}: must hold a JSON object")
    known = {
        "content_security_policy",
        "strict_transport_security",
        "content_type_options",
        "frame_options",
        "referrer_policy",
        "custom_headers",
    }
    unknown = sorted(k for k in data if not k.startswith("_") and k not in known)
    if unknown:
        raise HeadersFileError(f"{path}: unknown field(s) {', '.join(unknown)}")
    missing = sorted(known - set(data))
    if missing:
        raise HeadersFileError(f"{path}: missing field(s) {', '.join(missing)}")

    hsts = data["strict_transport_security"]
    if not isinstance(hsts, dict):
        raise HeadersFileError(f"{path}: field 'strict_transport_security' must be an object")
    max_age = hsts.get("max_age_seconds")
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        raise HeadersFileError(
            f"{path}: field 'strict_transport_security.max_age_seconds' must be an integer >= 0"
        )
    hsts_value = f"max-age={max_age}"
    for flag, directive in (("include_subdomains", "includeSubDomains"), ("preload", "preload")):
        if not isinstance(hsts.get(flag, False), bool):
            raise HeadersFileError(
                f"{path}: field 'strict_transport_security.{flag}' must be true or false"
            )
        if hsts.get(flag):
            hsts_value += f"; {directive}"

    headers = [
        ("Content-Security-Policy", _text(path, data, "content_security_policy")),
        ("Strict-Transport-Security", hsts_value),
        ("X-Content-Type-Options", _text(path, data, "content_type_options")),
        ("X-Frame-Options", _text(path, data, "frame_options")),
        ("Referrer-Policy", _text(path, data, "referrer_policy")),
    ]
    custom = data["custom_headers"]
    if not isinstance(custom, dict):
        raise HeadersFileError(f"{path}: field 'custom_headers' must be an object")
    for name, value in custom.items():
        if not isinstance(value, str) or not value.strip():
            raise HeadersFileError(f"{path}: field 'custom_headers.{name}' must be a string")
        headers.append((name, value))
    return headers


def _with_headers(app: WSGIApp, headers: list[tuple[str, str]]) -> WSGIApp:
    """Sets the security headers on every response, replacing any the inner app set
    (CloudFront's response-headers policy with override on)."""
    names = {name.lower() for name, _ in headers}

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, response_headers: list[tuple[str, str]], *exc: Any) -> Any:
            kept = [(k, v) for k, v in response_headers if k.lower() not in names]
            return start_response(status, kept + headers, *exc)

        return app(environ, start)

    return wrapped


class StaticSite:
    """web/dist with CloudFront's caching and SPA routing rules (module docstring)."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist.absolute()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return MethodNotAllowed(valid_methods=["GET", "HEAD"]).get_response()
        # Dot segments resolved first, as a browser and CloudFront would.
        path = "/" + posixpath.normpath(request.path).lstrip("/")
        if path.startswith("/assets/"):
            return self._file(request, path.lstrip("/"), ASSETS_CACHE)
        relative = path.lstrip("/")
        found = safe_join(str(self.dist), relative) if relative else None
        if found is not None and Path(found).is_file():
            return self._file(request, relative, NO_CACHE)
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if "." in last:
            return NotFound().get_response()
        return self._file(request, "index.html", NO_CACHE)

    def _file(self, request: Request, relative: str, cache: str) -> Response:
        try:
            response = send_from_directory(self.dist, relative, request.environ)
        except NotFound as exc:
            return exc.get_response()
        response.headers["Cache-Control"] = cache
        response.headers.pop("Expires", None)
        response.headers.pop("Content-Disposition", None)  # a page or asset, not a download
        response.headers.pop("Date", None)  # the server adds its own
        return response


def create_app(dist: Path, api_url: str, headers_file: Path) -> WSGIApp:
    if not (dist / "index.html").is_file():
        raise FileNotFoundError(f"{dist / 'index.html'}: the SPA is not built (make web-bundle)")
    headers = load_security_headers(headers_file)
    site = StaticSite(dist)
    # As CloudFront's "/api/*" behaviour: the path is forwarded unchanged ("/api" alone is
    # not under it and gets the SPA, as in the cloud).
    front = ProxyMiddleware(site, {API_PREFIX: {"target": api_url.rstrip("/") + "/"}}, timeout=30)
    return _with_headers(front, headers)


class _Handler(WSGIRequestHandler):
    # No server software or version in responses (werkzeug's default names both).
    def version_string(self) -> str:
        return "innovate-front"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.front", description=__doc__)
    parser.add_argument("--dist", type=Path, required=True, help="the built SPA (index.html)")
    parser.add_argument(
        "--api", required=True, help="the API's base URL, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--headers", type=Path, required=True, help="web/security-headers.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    try:
        app = create_app(args.dist, args.api, args.headers)
    except (HeadersFileError, FileNotFoundError) as exc:
        print(f"front: error: {exc}", file=sys.stderr)
        return 2
    server = make_server(args.host, args.port, app, threaded=True, request_handler=_Handler)

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(
        f"front: serving {args.dist} and proxying /api/ to {args.api} on "
        f"http://{args.host}:{args.port}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
